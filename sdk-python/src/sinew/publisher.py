"""`Publisher`: publishes to one queue, confirmed, unconfirmed, pipelined or in batches.

A publisher is bound to a topic and group, not to a connection: after a reconnect it goes on
publishing on the new connection. Each message is routed by the client's router (its key's
partition, or the publisher's next turn for keyless messages) and carries the routing version
the client routed with.
"""

from __future__ import annotations

from collections.abc import Iterable

from sinew._core.closing import AsyncClosing
from sinew._core.publish_pipeline import PublishPipeline
from sinew.outgoing_message import OutgoingMessage
from sinew.publish_confirmation import PublishConfirmation
from sinew.publish_receipt import PublishReceipt

__all__ = ["Publisher"]


class Publisher(AsyncClosing):
    """Publishes to one queue. Create with `SinewClient.create_publisher`; publishers cannot
    be constructed directly."""

    __slots__ = ("_pipeline",)

    _pipeline: PublishPipeline

    def __init__(self) -> None:
        raise TypeError("publishers are made by SinewClient.create_publisher")

    @classmethod
    def _create(cls, pipeline: PublishPipeline) -> Publisher:
        publisher = cls.__new__(cls)
        publisher._pipeline = pipeline
        return publisher

    def __repr__(self) -> str:
        return f"Publisher(topic={self.topic!r}, group={self.group!r})"

    @property
    def topic(self) -> str:
        return self._pipeline.topic

    @property
    def group(self) -> str | None:
        return self._pipeline.group

    async def publish(self, message: OutgoingMessage) -> PublishReceipt:
        """Publish and wait until the broker has made the message durable."""
        context = self._pipeline.context("publish")
        async with self._pipeline.operation(context):
            receipts = await self._pipeline.send_confirmed([message], context=context)
        return receipts[0]

    async def publish_unconfirmed(self, message: OutgoingMessage) -> None:
        """Publish without waiting for the broker. Returns once the message is queued for
        the socket; a failure the broker reports later goes to `SinewClientOptions.on_error`."""
        context = self._pipeline.context("publish_unconfirmed")
        async with self._pipeline.operation(context):
            await self._pipeline.send_unconfirmed(message, context=context)

    async def publish_with_confirmation(self, message: OutgoingMessage) -> PublishConfirmation:
        """Send the message and return its pending confirmation without waiting for it."""
        context = self._pipeline.context("publish_with_confirmation")
        async with self._pipeline.operation(context):
            receipt = await self._pipeline.send_with_confirmation(message, context=context)
        return PublishConfirmation._create(receipt)

    async def publish_batch(self, messages: Iterable[OutgoingMessage]) -> list[PublishReceipt]:
        """Publish several messages in one frame and wait until all are durable.

        The broker checks the batch as a whole: if any message is refused, none is stored.
        At most the broker's `max_batch_messages` messages; an empty batch sends nothing.
        """
        batch = list(messages)
        context = self._pipeline.context("publish_batch")
        async with self._pipeline.operation(context):
            if not batch:
                return []
            return await self._pipeline.send_confirmed(batch, context=context)

    # Closing

    async def close(self) -> None:
        """Close the publisher: later publishes raise `ClientClosedError`, and this returns
        once the publishes in flight and the confirmations still expected have settled. The
        client stays open. Safe to call more than once."""
        await self._pipeline.close()

