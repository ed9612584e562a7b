"""`ClientCore`: the state a client shares with its handles. Whether the client is open, the
connection and how to get one, the routing cache, the subscriptions to end when it closes, and
the reporting of errors that belong to no operation.

It also keeps the client's live catalogue: every `Topology` (a reply or a push) feeds the
routing cache and the catalogue view, and the view is refreshed with a `TopologyRequest` when
it is first read in a session, after a reconnection, after a declaration it does not list yet
and after a `redirect`, each refresh shared by everyone who waits for it (routing included).

It is the listener of every connection: a pushed catalogue updates the cache and the view, a
`GoingAway` names the endpoint to reconnect to, and an unsolicited error or a dropped
connection is reported to `SinewClientOptions.on_error`. That callback never runs inside the
connection's read loop: it is scheduled on the event loop, so a slow or failing handler cannot
stall the connection, and whatever it raises is logged and swallowed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from sinew._core.connection_manager import ConnectionManager
from sinew._core.handed_out import list_limit
from sinew.catalogue import Catalogue
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
from sinew.routing.catalogue_view import CatalogueView
from sinew.routing.router import Router
from sinew.routing.topology_cache import TopologyCache
from sinew.wire import messages as wire
from sinew.wire.enums import ChannelKind

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
        self.catalogue = CatalogueView()
        """The catalogue as the client holds it, kept live by the broker's pushes."""
        self.subscriptions: set[ClosableSubscription] = set()
        """Open subscriptions, ended when the client closes."""
        self.manager = ConnectionManager(options, self, reconnected=self._on_reconnected)
        self._refreshes: dict[Connection, asyncio.Task[wire.Topology]] = {}
        self._closed = False
        self._closing = asyncio.Event()
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
            await asyncio.shield(self.refresh_catalogue(connection))
        except (BrokerError, OperationTimeoutError) as error:
            _log.debug("no topology for %r: %s", topic, error)

    async def request_topology(self, connection: Connection) -> wire.Topology:
        reply = await connection.request(
            wire.TopologyRequest(), context="topology()", expects=(wire.Topology,)
        )
        assert isinstance(reply, wire.Topology)
        self.apply_topology(connection, reply)
        return reply

    def apply_topology(self, connection: Connection, topology: wire.Topology) -> bool:
        """Apply a catalogue received on `connection` to the routing cache and the view;
        returns whether the cache took it (it is then acknowledged, when pushed)."""
        session = connection.session.session_id
        applied = self.cache.apply(topology, session)
        self.catalogue.apply(topology, session)
        return applied

    # The live catalogue

    def refresh_catalogue(self, connection: Connection) -> asyncio.Task[wire.Topology]:
        """Ask the broker for its catalogue on `connection`, or join the request already
        under way there. Callers that stop waiting leave it running."""
        running = self._refreshes.get(connection)
        if running is not None and not running.done():
            return running
        task = asyncio.ensure_future(self.request_topology(connection))
        self._refreshes[connection] = task
        task.add_done_callback(lambda done: self._refresh_done(connection, done))
        return task

    def _refresh_done(self, connection: Connection, task: asyncio.Task[wire.Topology]) -> None:
        if self._refreshes.get(connection) is task:
            del self._refreshes[connection]
        if not task.cancelled() and task.exception() is not None:
            _log.debug("asking %s for its catalogue failed: %s", connection.endpoint, task.exception())

    async def wait_for_refresh(self, connection: Connection) -> None:
        """Wait for a catalogue refresh under way on `connection` (after a reconnection or a
        redirect), so that routing uses the fresh routes. A failed refresh leaves routing to
        what the client knows; the broker still refuses a stale route with a redirect."""
        running = self._refreshes.get(connection)
        if running is not None:
            await asyncio.wait({running})

    async def read_catalogue(self, context: str) -> Catalogue:
        """The current catalogue: no round trip once a topology of the current session has
        arrived (and no refresh is under way); otherwise one request first, connecting or
        reconnecting as every operation does."""
        connection = await self.connection_for(context)
        session = connection.session.session_id
        running = self._refreshes.get(connection)
        if running is None and self.catalogue.is_from(session):
            current = self.catalogue.current
            assert current is not None
            return current
        try:
            await asyncio.shield(running if running is not None else self.refresh_catalogue(connection))
        except SinewError:
            # A refresh someone else started failed, but the view already holds this
            # session's catalogue.
            if running is None or not self.catalogue.is_from(session):
                raise
        current = self.catalogue.current
        assert current is not None
        return current

    def refresh_unless_listed(
        self, connection: Connection, topic: str, group: str | None, partitions: int
    ) -> None:
        """After a declaration the view does not list yet, ask for the catalogue, so that
        reading it right after declaring lists the queue (the broker's push would follow, but
        not before the next read)."""
        if not self.catalogue.is_from(connection.session.session_id):
            return
        current = self.catalogue.current
        entry = current.find(topic, group) if current is not None else None
        if entry is not None and entry.kind == ChannelKind.QUEUE and entry.partitions == partitions:
            return
        self.refresh_catalogue(connection)

    def on_redirect(self, connection: Connection) -> None:
        """The broker answered `redirect` on `connection`: the routes used are stale."""
        if connection.is_open:
            self.refresh_catalogue(connection)

    def _on_reconnected(self, connection: Connection) -> None:
        # Once the client holds a catalogue it keeps it live: a new session's catalogue is not
        # pushed until something changes, and the broker may have changed meanwhile.
        if self.catalogue.current is not None:
            self.refresh_catalogue(connection)

    async def unless_closing(self, waiting: Awaitable[None]) -> bool:
        """Wait for `waiting`, unless the client starts closing first; returns whether it
        completed."""
        done = asyncio.ensure_future(waiting)
        closing = asyncio.ensure_future(self._closing.wait())
        try:
            await asyncio.wait({done, closing}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (done, closing):
                if not task.done():
                    task.cancel()
        return done.done() and not done.cancelled()

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
        self._closing.set()
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
        return self.apply_topology(connection, message)

    def on_going_away(self, connection: Connection, message: wire.GoingAway) -> None:
        _log.info("the broker is going away: %s", message.message)
        if message.reconnect_to:
            self.manager.prefer_endpoint(message.reconnect_to)

    def on_unsolicited_error(self, connection: Connection, error: BrokerError) -> None:
        _log.warning("%s", error.message)
        # An unconfirmed publish routed by a stale catalogue: nothing is left to send again,
        # but the next publishes route by a fresh catalogue.
        if error.code == "redirect":
            self.on_redirect(connection)
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
