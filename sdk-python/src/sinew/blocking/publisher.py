"""The blocking `Publisher` and `PublishConfirmation`, over the asyncio ones."""

from __future__ import annotations

from collections.abc import Iterable

from sinew._core.closing import Closing
from sinew.blocking.event_loop_thread import EventLoopThread
from sinew.outgoing_message import OutgoingMessage
from sinew.publish_confirmation import PublishConfirmation as AsyncPublishConfirmation
from sinew.publish_receipt import PublishReceipt
from sinew.publisher import Publisher as AsyncPublisher

__all__ = ["PublishConfirmation", "Publisher"]


class PublishConfirmation:
    """The pending confirmation of a sent publish; `wait()` blocks for the receipt."""

    def __init__(self, inner: AsyncPublishConfirmation, loop: EventLoopThread) -> None:
        self._inner = inner
        self._loop = loop

    def done(self) -> bool:
        return self._inner.done()

    def wait(self) -> PublishReceipt:
        return self._loop.run(self._inner.wait())


class Publisher(Closing):
    """Publishes to one queue; see `sinew.Publisher` for the semantics."""

    def __init__(self, inner: AsyncPublisher, loop: EventLoopThread) -> None:
        self._inner = inner
        self._loop = loop

    def __repr__(self) -> str:
        return repr(self._inner)

    @property
    def topic(self) -> str:
        return self._inner.topic

    @property
    def group(self) -> str | None:
        return self._inner.group

    def publish(self, message: OutgoingMessage) -> PublishReceipt:
        return self._loop.run(self._inner.publish(message))

    def publish_unconfirmed(self, message: OutgoingMessage) -> None:
        self._loop.run(self._inner.publish_unconfirmed(message))

    def publish_with_confirmation(self, message: OutgoingMessage) -> PublishConfirmation:
        return PublishConfirmation(
            self._loop.run(self._inner.publish_with_confirmation(message)), self._loop
        )

    def publish_batch(self, messages: Iterable[OutgoingMessage]) -> list[PublishReceipt]:
        # Materialised here: a lazy iterable would otherwise be consumed on the loop thread.
        return self._loop.run(self._inner.publish_batch(list(messages)))

    def close(self) -> None:
        """Close as `sinew.Publisher.close` does; the client stays open."""
        if self._loop.is_running:
            self._loop.run(self._inner.close())

