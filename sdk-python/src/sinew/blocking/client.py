"""The blocking `SinewClient`: the asyncio client driven from an `EventLoopThread`.

Each blocking client owns one loop thread, started by `connect` and stopped by `close`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

from sinew._core.closing import Closing
from sinew.blocking.event_loop_thread import EventLoopThread
from sinew.blocking.publisher import Publisher
from sinew.blocking.reliable_publisher import ReliablePublisher
from sinew.blocking.subscription import Subscription
from sinew.catalogue import Catalogue, CatalogueChange
from sinew.client import SinewClient as AsyncSinewClient
from sinew.options.client_options import SinewClientOptions
from sinew.options.publisher_options import PublisherOptions, ReliablePublisherOptions
from sinew.options.queue_options import QueueOptions
from sinew.options.subscribe_options import SubscribeOptions
from sinew.queue_info import QueueInfo
from sinew.server_info import ServerInfo
from sinew.subscription import Subscription as AsyncSubscription
from sinew.topology import Topology

__all__ = ["SinewClient"]


async def _connect(options: SinewClientOptions | None) -> AsyncSinewClient:
    return await AsyncSinewClient.connect(options)


async def _subscribe(
    client: AsyncSinewClient, topic: str, options: SubscribeOptions | None
) -> AsyncSubscription:
    return await client.subscribe(topic, options)


async def _watch(client: AsyncSinewClient) -> AsyncIterator[CatalogueChange]:
    return client.watch_catalogue()


async def _listen(
    client: AsyncSinewClient, callback: Callable[[CatalogueChange], None]
) -> Callable[[], None]:
    return client.on_catalogue_change(callback)


async def _next_change(watcher: AsyncIterator[CatalogueChange]) -> CatalogueChange | None:
    try:
        return await anext(watcher)
    except StopAsyncIteration:
        return None


def _changes(watcher: AsyncIterator[CatalogueChange], loop: EventLoopThread) -> Iterator[CatalogueChange]:
    while (change := loop.run(_next_change(watcher))) is not None:
        yield change


class SinewClient(Closing):
    """A connection to a Sinew broker, for code without an event loop::

        with SinewClient.connect(SinewClientOptions(endpoints="127.0.0.1:7420")) as client:
            client.create_publisher("orders").publish(OutgoingMessage.from_text("hello"))

    Semantics are those of `sinew.SinewClient`. Callbacks such as `on_error` run on the
    client's loop thread and must not call the blocking API.
    """

    def __init__(self, inner: AsyncSinewClient, loop: EventLoopThread) -> None:
        self._inner = inner
        self._loop = loop

    def __repr__(self) -> str:
        return repr(self._inner)

    @classmethod
    def connect(cls, options: SinewClientOptions | None = None) -> SinewClient:
        """Connect, or raise as `sinew.SinewClient.connect` does; starts the loop thread."""
        loop = EventLoopThread()
        loop.start()
        try:
            return cls(loop.run(_connect(options)), loop)
        except BaseException:
            loop.stop()
            raise

    def close(self) -> None:
        """Close as `sinew.SinewClient.close` does, then stop the loop thread."""
        try:
            if self._loop.is_running:
                self._loop.run(self._inner.close())
        finally:
            self._loop.stop()


    def ensure_connected(self) -> None:
        """Connect now if not connected, as `sinew.SinewClient.ensure_connected` does."""
        self._loop.run(self._inner.ensure_connected())

    @property
    def options(self) -> SinewClientOptions:
        return self._inner.options

    @property
    def is_closed(self) -> bool:
        return self._inner.is_closed

    @property
    def is_connected(self) -> bool:
        return self._inner.is_connected

    @property
    def server_info(self) -> ServerInfo | None:
        return self._inner.server_info

    @property
    def loop_thread(self) -> EventLoopThread:
        """The thread running this client's event loop."""
        return self._loop

    def declare_queue(self, topic: str, options: QueueOptions | None = None) -> QueueInfo:
        return self._loop.run(self._inner.declare_queue(topic, options))

    def create_publisher(self, topic: str, options: PublisherOptions | None = None) -> Publisher:
        return Publisher(self._inner.create_publisher(topic, options), self._loop)

    def create_reliable_publisher(
        self, topic: str, options: ReliablePublisherOptions | None = None
    ) -> ReliablePublisher:
        return ReliablePublisher(self._inner.create_reliable_publisher(topic, options), self._loop)

    def subscribe(self, topic: str, options: SubscribeOptions | None = None) -> Subscription:
        return Subscription(self._loop.run(_subscribe(self._inner, topic, options)), self._loop)

    def topology(self) -> Topology:
        return self._loop.run(self._inner.topology())

    def catalogue(self) -> Catalogue:
        return self._loop.run(self._inner.catalogue())

    def watch_catalogue(self) -> Iterator[CatalogueChange]:
        """The changes of the catalogue from now on, as `sinew.SinewClient.watch_catalogue`
        gives them; each `next` blocks until the next change."""
        return _changes(self._loop.run(_watch(self._inner)), self._loop)

    def on_catalogue_change(self, callback: Callable[[CatalogueChange], None]) -> Callable[[], None]:
        """As `sinew.SinewClient.on_catalogue_change`; the callback runs on the client's loop
        thread and must not call the blocking API."""
        return self._loop.run(_listen(self._inner, callback))
