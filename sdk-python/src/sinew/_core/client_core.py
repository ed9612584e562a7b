"""`ClientCore`: the state a client shares with its handles. Whether the client is open, the
connection and how to get one, the routing cache, the subscriptions to end when it closes, and
the reporting of errors that belong to no operation.

It is also the listener of every connection: a pushed catalogue updates the routing cache, a
`GoingAway` names the endpoint to reconnect to, and an unsolicited error or a dropped
connection is reported to `SinewClientOptions.on_error`. That callback never runs inside the
connection's read loop: it is scheduled on the event loop, so a slow or failing handler cannot
stall the connection, and whatever it raises is logged and swallowed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

from sinew._core.connection_manager import ConnectionManager
from sinew._core.handed_out import list_limit
from sinew.connection.connection import Connection
from sinew.durations import to_seconds
from sinew.errors import (
    BrokerError,
    ClientClosedError,
    ConnectionLostError,
    OperationTimeoutError,
    SinewError,
)
from sinew.options.client_options import SinewClientOptions
from sinew.routing.router import Router
from sinew.routing.topology_cache import TopologyCache
from sinew.wire import messages as wire

__all__ = ["ClientCore", "ClosableSubscription"]

_log = logging.getLogger("sinew.client")


class ClosableSubscription(Protocol):
    """A subscription as the client sees it when closing."""

    def handed_out_ids(self) -> list[int]:
        """Its unsettled deliveries the application was given, for the client's `Goodbye`."""

    def end_for_client_close(self) -> list[asyncio.Future[Any]]:
        """End the subscription because the client is closing; returns the pending answers
        to the `Unsubscribe` frames it wrote, which leave before the client's `Goodbye`."""


class ClientCore:
    def __init__(self, options: SinewClientOptions) -> None:
        self.options = options
        self.cache = TopologyCache()
        self.router = Router(self.cache)
        self.subscriptions: set[ClosableSubscription] = set()
        """Open subscriptions, ended when the client closes."""
        self.manager = ConnectionManager(options, self)
        self._closed = False
        self._close_finished = asyncio.Event()

    @property
    def is_closed(self) -> bool:
        """Whether `close()` has been called."""
        return self._closed

    @property
    def connection(self) -> Connection | None:
        """The current connection, open or not."""
        return self.manager.connection

    def check_open(self, context: str) -> None:
        if self._closed:
            raise ClientClosedError(f"{context}: the client is closed")

    async def connection_for(self, context: str) -> Connection:
        """The open connection, reconnecting first when it dropped."""
        self.check_open(context)
        return await self.manager.acquire(context)

    # Routing

    async def learn_route(self, connection: Connection, topic: str, group: str | None) -> None:
        """Fetch the topology when nothing is known about a queue, so keyless messages spread
        over all its partitions rather than all going to partition 0. A broker that refuses
        or does not answer leaves the routing as it was; the operation goes on without it."""
        if self.router.knows(topic, group):
            return
        try:
            await self.request_topology(connection)
        except (BrokerError, OperationTimeoutError) as error:
            _log.debug("no topology for %r: %s", topic, error)

    def forget_route(self, topic: str, group: str | None) -> None:
        """A `redirect` said the routing used for this queue is stale: drop it, so the next
        publish learns it again rather than repeating the stale one."""
        self.cache.forget(topic, group)

    async def request_topology(self, connection: Connection) -> wire.Topology:
        reply = await connection.request(
            wire.TopologyRequest(), context="topology()", expects=(wire.Topology,)
        )
        assert isinstance(reply, wire.Topology)
        self.cache.apply(reply, connection.session.session_id)
        return reply

    # Closing

    async def close(self) -> None:
        """End every subscription (their `Unsubscribe` frames leave first), say `Goodbye`,
        wait up to `close_timeout` for its `Ok`, then close the socket. Safe to call more
        than once; later calls wait for the first to finish.

        `Goodbye` lists every delivery the subscriptions had handed out and not settled, as
        their `Unsubscribe` frames do: should one of those fail, the broker still counts a
        failure only for what the application saw."""
        if self._closed:
            await self._close_finished.wait()
            return
        self._closed = True
        self.manager.stop()
        try:
            unsubscribes: list[asyncio.Future[Any]] = []
            handed_out: list[int] = []
            for subscription in list(self.subscriptions):
                handed_out.extend(subscription.handed_out_ids())
                unsubscribes.extend(subscription.end_for_client_close())
            self.subscriptions.clear()
            connection = self.manager.connection
            if connection is not None:
                goodbye_timeout = to_seconds(self.options.close_timeout, argument="close_timeout")
                await connection.close(
                    goodbye_timeout=goodbye_timeout,
                    handed_out=handed_out[: list_limit(connection)],
                )
            # Answered before Goodbye's Ok, or failed by the close: either way settled now.
            await asyncio.gather(*unsubscribes, return_exceptions=True)
        finally:
            self._close_finished.set()

    # Reporting errors that belong to no operation

    def report(self, error: SinewError) -> None:
        """Hand `error` to `on_error` on a later turn of the event loop, never inside the
        caller (which is usually the read loop)."""
        callback = self.options.on_error
        if callback is not None:
            asyncio.get_running_loop().call_soon(_call_on_error, callback, error)

    # The listener of every connection: these run in its read loop

    def on_topology(self, connection: Connection, message: wire.Topology) -> bool:
        return self.cache.apply(message, connection.session.session_id)

    def on_going_away(self, connection: Connection, message: wire.GoingAway) -> None:
        _log.info("the broker is going away: %s", message.message)
        if message.reconnect_to:
            self.manager.prefer_endpoint(message.reconnect_to)

    def on_unsolicited_error(self, connection: Connection, error: BrokerError) -> None:
        _log.warning("%s", error.message)
        self.report(error)

    def on_connection_lost(self, connection: Connection, error: ConnectionLostError) -> None:
        # The connection's subscriptions were ended by their sinks already.
        if connection is not self.manager.connection:
            return
        self.subscriptions.clear()
        self.report(error)


def _call_on_error(callback: Callable[[SinewError], None], error: SinewError) -> None:
    try:
        callback(error)
    except Exception:
        _log.exception("SinewClientOptions.on_error raised; the error it was given: %s", error)
