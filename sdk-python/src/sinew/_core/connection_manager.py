"""`ConnectionManager`: owning the client's one connection. The first connect (each endpoint
once, in order), and reconnecting before the next operation after the connection dropped,
with bounded attempts and backoff shared by every operation waiting for it.

Every connection starts a new session: no resume token is sent, since the broker does not
resume sessions, so nothing is reconciled either.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from sinew._core.converters import connection_settings, endpoints_of
from sinew.connection.connection import Connection
from sinew.connection.endpoint import Endpoint, parse_endpoint
from sinew.connection.handshake import describe
from sinew.connection.listener import ConnectionListener
from sinew.errors import (
    BrokerError,
    ClientClosedError,
    ConnectionFailure,
    ConnectionLostError,
    InvalidArgumentError,
    SinewConnectionError,
    SinewError,
)
from sinew.options.client_options import SinewClientOptions

__all__ = ["ConnectionManager"]

_log = logging.getLogger("sinew.client")


class ConnectionManager:
    """Connects, reconnects and hands out the current connection."""

    def __init__(
        self,
        options: SinewClientOptions,
        listener: ConnectionListener[Connection],
        *,
        reconnected: Callable[[Connection], None] | None = None,
    ) -> None:
        """`reconnected` is called when a reconnection has made a new connection current,
        before the operations waiting for it continue."""
        self._options = options
        self._listener = listener
        self._reconnected = reconnected
        self._endpoints = endpoints_of(options)
        self._preferred: Endpoint | None = None
        self._current: Connection | None = None
        self._reconnect_lock = asyncio.Lock()
        self._stopped = asyncio.Event()

    @property
    def connection(self) -> Connection | None:
        """The current connection, open or not, if there is one."""
        return self._current

    @property
    def is_stopped(self) -> bool:
        return self._stopped.is_set()

    def stop(self) -> None:
        """Stop for good: a reconnect in progress is abandoned, and waiting operations fail
        with `ClientClosedError`."""
        self._stopped.set()

    def check_open(self, context: str) -> None:
        if self._stopped.is_set():
            raise ClientClosedError(f"{context}: the client is closed")

    async def connect_first(self) -> None:
        """One pass over the endpoints. Raises `SinewConnectionError` when no endpoint completes
        the handshake, and `BrokerError` when a broker refuses it."""
        self._install(await self._open_any())

    async def acquire(self, context: str) -> Connection:
        """The open connection, reconnecting first when it dropped. Operations arriving while
        a reconnect runs wait for it and share its outcome."""
        self.check_open(context)
        connection = self._current
        if connection is not None and connection.is_open:
            return connection
        async with self._reconnect_lock:
            self.check_open(context)
            connection = self._current
            if connection is not None and connection.is_open:
                return connection
            return await self._reconnect(context)

    def prefer_endpoint(self, text: str) -> None:
        """Try `reconnect_to` from a broker's `GoingAway` first on the next reconnect."""
        try:
            self._preferred = parse_endpoint(text)
        except InvalidArgumentError:
            _log.warning("ignored an invalid reconnect_to %r", text)

    async def _reconnect(self, context: str) -> Connection:
        policy = self._options.reconnect
        if policy.max_attempts == 0:
            raise ConnectionLostError(
                f"{context}: the connection was lost and reconnecting is disabled "
                "(ReconnectPolicy.max_attempts is 0)"
            )
        last: SinewError | None = None
        failures: list[ConnectionFailure] = []
        for attempt in range(1, policy.max_attempts + 1):
            delay = policy._delay_before(attempt)
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopped.wait(), delay)
            self.check_open(context)
            try:
                connection = await self._unless_stopped(self._open_any(), context)
            except SinewConnectionError as error:
                last = error
                failures.extend(error.failures)
                continue
            except BrokerError as error:
                if not error.is_retryable:
                    raise
                last = error
                continue
            if self._stopped.is_set():
                await connection.close(goodbye_timeout=0)
                self.check_open(context)
            self._install(connection)
            _log.info("reconnected to %s after %d attempt(s)", connection.endpoint, attempt)
            if self._reconnected is not None:
                self._reconnected(connection)
            return connection
        raise SinewConnectionError(
            f"{context}: could not reconnect in {policy.max_attempts} attempt(s)"
            + (f"; last: {describe(last)}" if last is not None else ""),
            failures=tuple(failures),
        ) from last

    async def _unless_stopped(
        self, opening: Coroutine[Any, Any, Connection], context: str
    ) -> Connection:
        """Run a connection attempt, abandoning it as soon as the client is closed, so that
        `close()` does not leave an operation waiting out the connect timeout."""
        attempt = asyncio.ensure_future(opening)
        stopped = asyncio.ensure_future(self._stopped.wait())
        try:
            await asyncio.wait({attempt, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
            if not attempt.done():
                attempt.cancel()
                await asyncio.gather(attempt, return_exceptions=True)
        if attempt.cancelled():
            self.check_open(context)
        return attempt.result()

    async def _open_any(self) -> Connection:
        """One pass over the endpoints in order (a `GoingAway` target first)."""
        endpoints = list(self._endpoints)
        if self._preferred is not None:
            endpoints.insert(0, self._preferred)
        settings = connection_settings(self._options)
        failures: list[ConnectionFailure] = []
        for endpoint in endpoints:
            try:
                return await Connection.open(endpoint, settings, self._listener)
            except SinewConnectionError as error:
                failures.append(ConnectionFailure(str(endpoint), error))
            except BrokerError as error:
                # A refusal is final unless the broker says it may pass (e.g. unavailable
                # while starting), in which case another endpoint may serve.
                if not error.is_retryable:
                    raise
                failures.append(ConnectionFailure(str(endpoint), error))
        listed = "; ".join(f"{endpoint}: {describe(error)}" for endpoint, error in failures)
        raise SinewConnectionError(
            f"could not connect to any of {len(endpoints)} endpoint(s): {listed}",
            failures=tuple(failures),
        ) from (failures[-1][1] if failures else None)

    def _install(self, connection: Connection) -> None:
        self._current = connection
        self._preferred = None
