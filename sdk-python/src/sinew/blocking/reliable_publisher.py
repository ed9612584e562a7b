"""The blocking `ReliablePublisher`, over the asyncio one."""

from __future__ import annotations

from collections.abc import Iterable

from sinew._core.closing import Closing
from sinew.blocking.event_loop_thread import EventLoopThread
from sinew.outgoing_message import OutgoingMessage
from sinew.publish_receipt import PublishReceipt
from sinew.reliable_publisher import ReliablePublisher as AsyncReliablePublisher

__all__ = ["ReliablePublisher"]


class ReliablePublisher(Closing):
    """Publishes with idempotency keys and bounded retries; see `sinew.ReliablePublisher`."""

    def __init__(self, inner: AsyncReliablePublisher, loop: EventLoopThread) -> None:
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

    @property
    def producer_id(self) -> str:
        return self._inner.producer_id

    @property
    def next_sequence(self) -> int:
        return self._inner.next_sequence

    def publish(self, message: OutgoingMessage) -> PublishReceipt:
        return self._loop.run(self._inner.publish(message))

    def publish_batch(self, messages: Iterable[OutgoingMessage]) -> list[PublishReceipt]:
        return self._loop.run(self._inner.publish_batch(list(messages)))

    def close(self) -> None:
        """Close as `sinew.ReliablePublisher.close` does; the client stays open."""
        if self._loop.is_running:
            self._loop.run(self._inner.close())

