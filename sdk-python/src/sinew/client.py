"""`SinewClient`: the entry point. Connects, declares queues, creates publishers and
subscriptions, reconnects when needed and closes cleanly.

The client holds at most one connection. When it drops, what was in flight fails with
`ConnectionLostError`, subscriptions end with reason `connection_lost`, and the next
operation reconnects first under the `ReconnectPolicy`, opening a new session (sessions are
not resumed). Publishers are not tied to a connection and keep working on the new one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from sinew._core.closing import AsyncClosing
from sinew._core.argument_checks import require_topic_and_group
from sinew._core.catalogue_watcher import CatalogueWatcher
from sinew._core.client_core import ClientCore
from sinew._core.converters import (
    declare_queue_request,
    queue_info_from_wire,
    server_info_from_session,
    topology_from_wire,
)
from sinew._core.publish_pipeline import PublishPipeline
from sinew._core.subscription_feed import SubscriptionFeed
from sinew.awaitable_context import AwaitableContext
from sinew.catalogue import Catalogue, CatalogueChange
from sinew.errors import InvalidArgumentError
from sinew.options.client_options import SinewClientOptions
from sinew.options.publisher_options import PublisherOptions, ReliablePublisherOptions
from sinew.options.queue_options import QueueOptions
from sinew.options.subscribe_options import SubscribeOptions
from sinew.publisher import Publisher
from sinew.queue_info import QueueInfo
from sinew.reliable_publisher import ReliablePublisher
from sinew.server_info import ServerInfo
from sinew.subscription import Subscription
from sinew.topology import Topology
from sinew.wire import messages as wire

__all__ = ["SinewClient"]


class SinewClient(AsyncClosing):
    """A connection to a Sinew broker and the factory of every other handle.

    Connect with `SinewClient.connect`, which can be awaited or used with `async with`::

        async with SinewClient.connect(SinewClientOptions(endpoints="127.0.0.1:7420")) as client:
            await client.declare_queue("orders")

    Constructing a `SinewClient` directly does not connect; use `connect`.
    """

    def __init__(self, options: SinewClientOptions) -> None:
        if not isinstance(options, SinewClientOptions):
            raise InvalidArgumentError(
                "options must be SinewClientOptions", argument="options", reason="wrong_type"
            )
        self._core = ClientCore(options)

    def __repr__(self) -> str:
        state = "closed" if self.is_closed else "connected" if self.is_connected else "disconnected"
        return f"SinewClient(endpoints={list(self.options.endpoints)!r}, {state})"

    # Lifecycle

    @classmethod
    def connect(cls, options: SinewClientOptions | None = None) -> AwaitableContext[SinewClient]:
        """Connect to the first endpoint that completes the handshake, trying them in order.

        Raises `SinewConnectionError` when none does, and `BrokerError` when a broker refuses the
        handshake (`unauthorized`, `protocol_mismatch`).
        """
        resolved = options if options is not None else SinewClientOptions()

        async def start() -> SinewClient:
            client = cls(resolved)
            await client._core.manager.connect_first()
            return client

        return AwaitableContext(start)

    async def close(self) -> None:
        """Unsubscribe every subscription, say `Goodbye` (the broker returns unsettled
        deliveries to their queues, counting a failure only for those the application was
        given), wait briefly for its `Ok`, close the socket and stop every background task.
        Operations still waiting fail with `ClientClosedError`. Safe to call more than once."""
        await self._core.close()


    async def ensure_connected(self) -> None:
        """Connect now if the client has no open connection: after a drop it reconnects under
        the `ReconnectPolicy`, as the next operation would. Useful to fail fast, or in a health
        check. Raises `SinewConnectionError`, `BrokerError` or `ClientClosedError` as
        `connect` and the operations do."""
        await self._core.connection_for("ensure_connected()")

    @property
    def options(self) -> SinewClientOptions:
        """The options the client was made with."""
        return self._core.options

    @property
    def is_closed(self) -> bool:
        return self._core.is_closed

    @property
    def is_connected(self) -> bool:
        """True while the client holds an open connection."""
        connection = self._core.connection
        return connection is not None and connection.is_open

    @property
    def server_info(self) -> ServerInfo | None:
        """The broker and session of the current connection; None while disconnected."""
        connection = self._core.connection
        if connection is None or not connection.is_open:
            return None
        return server_info_from_session(str(connection.endpoint), connection.session)

    # Operations

    async def declare_queue(self, topic: str, options: QueueOptions | None = None) -> QueueInfo:
        """Create the queue, or confirm it exists with the same settings, and return its
        effective settings. A different setting on an existing queue is a `BrokerError`
        with code `conflict`."""
        options = options if options is not None else QueueOptions()
        topic, group = require_topic_and_group(topic, options.group)
        request = declare_queue_request(topic, group, options)
        context = f"declare_queue({topic!r})"
        connection = await self._core.connection_for(context)
        reply = await connection.request(request, context=context, expects=(wire.DeclareQueueOk,))
        assert isinstance(reply, wire.DeclareQueueOk)
        self._core.cache.learn_partitions(topic, group, reply.partitions)
        self._core.refresh_unless_listed(connection, topic, group, reply.partitions)
        return queue_info_from_wire(topic, group, reply)

    def create_publisher(self, topic: str, options: PublisherOptions | None = None) -> Publisher:
        """A publisher for the queue `topic`. Nothing is sent until it publishes."""
        self._core.check_open("create_publisher")
        options = options if options is not None else PublisherOptions()
        if not isinstance(options, PublisherOptions):
            raise InvalidArgumentError(
                "options must be PublisherOptions", argument="options", reason="wrong_type"
            )
        topic, group = require_topic_and_group(topic, options.group)
        return Publisher._create(PublishPipeline(self._core, topic, group, options))

    def create_reliable_publisher(
        self, topic: str, options: ReliablePublisherOptions | None = None
    ) -> ReliablePublisher:
        """A publisher with idempotency keys and bounded retries for the queue `topic`."""
        self._core.check_open("create_reliable_publisher")
        options = options if options is not None else ReliablePublisherOptions()
        if not isinstance(options, ReliablePublisherOptions):
            raise InvalidArgumentError(
                "options must be ReliablePublisherOptions", argument="options", reason="wrong_type"
            )
        topic, group = require_topic_and_group(topic, options.group)
        pipeline = PublishPipeline(self._core, topic, group, options)
        return ReliablePublisher._create(pipeline, options)

    def subscribe(
        self, topic: str, options: SubscribeOptions | None = None
    ) -> AwaitableContext[Subscription]:
        """Subscribe to the queue `topic`; await it, or use it with `async with`.

        Without `options.partition`, one broker subscription is opened per partition and
        their deliveries are merged. Argument errors are raised when it is awaited. `topic`
        may name a queue the broker owns, such as `$dead-letters`, which cannot be declared
        or published to.
        """
        resolved = options if options is not None else SubscribeOptions()
        return AwaitableContext(lambda: self._subscribe(topic, resolved))

    async def topology(self) -> Topology:
        """The broker's catalogue of queues and streams; also refreshes the client's routing."""
        connection = await self._core.connection_for("topology()")
        return topology_from_wire(await self._core.request_topology(connection))

    async def catalogue(self) -> Catalogue:
        """The broker's queues and streams as the client holds it. The client keeps this view
        live from the broker's pushes, so once it holds the catalogue of the current session
        this costs no round trip; the first call in a session (and a call right after a
        declaration the view does not list yet) asks the broker once. Like every operation it
        reconnects first after a drop; after a reconnection the client asks for a fresh
        catalogue and reports what differs from the view it held as a change."""
        return await self._core.read_catalogue("catalogue()")

    def watch_catalogue(self) -> AsyncIterator[CatalogueChange]:
        """The changes of the catalogue from now on, for `async for`: each says which queues
        and streams were added, removed or changed (partition count or routing version) since
        the previous one. When the client holds no view yet, the first read establishes it as
        `catalogue()` does. The iteration ends when the client closes.

        A watcher that is not read keeps no backlog: when it reads again it receives one
        change merging everything since its previous read (a queue added and removed meanwhile
        appears in neither list), so its memory does not grow however many changes it missed.
        Watching does not reconnect by itself: the next operation does, and the fresh catalogue
        it brings is reported as a change."""
        self._core.check_open("watch_catalogue()")
        return CatalogueWatcher(self._core)

    def on_catalogue_change(self, callback: Callable[[CatalogueChange], None]) -> Callable[[], None]:
        """Call `callback` with every change of the catalogue, in order, on the event loop
        (never inside the connection's read loop), while it is registered; returns the
        function that removes it. Changes are relative to a view the client already holds:
        await `catalogue()` first to be sure of the starting point (registering on a connected
        client that holds no view asks for one). What the callback raises is logged."""
        if not callable(callback):
            raise InvalidArgumentError(
                "callback must be callable", argument="callback", reason="wrong_type"
            )
        remove = self._core.catalogue.listen(callback)
        connection = self._core.connection
        if (
            self._core.catalogue.current is None
            and connection is not None
            and connection.is_open
            and not self.is_closed
        ):
            self._core.refresh_catalogue(connection)
        return remove

    async def _subscribe(self, topic: str, options: SubscribeOptions) -> Subscription:
        if not isinstance(options, SubscribeOptions):
            raise InvalidArgumentError(
                "options must be SubscribeOptions", argument="options", reason="wrong_type"
            )
        # A queue the broker owns, such as `$dead-letters`, may be consumed like any other.
        topic, group = require_topic_and_group(topic, options.group, allow_broker_owned=True)
        return Subscription._create(await SubscriptionFeed.open(self._core, topic, group, options))
