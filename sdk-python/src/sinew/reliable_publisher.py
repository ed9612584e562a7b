"""`ReliablePublisher`: confirmed publishing that retries until the broker confirms.

Every message is stamped with the publisher's producer id and its own sequence number, so
the broker stores it once however often it is sent (within its dedup window). Retryable
failures (`ConnectionLostError`, `OperationTimeoutError`, a failed reconnect, and broker
errors flagged retryable such as `unavailable` or `redirect`) are retried with backoff, up
to `max_attempts`; anything else is raised at once. A retry keeps the message's partition,
except after `redirect`, which re-routes with refreshed topology.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sinew._core.closing import AsyncClosing
from sinew._core.publish_pipeline import PublishPipeline
from sinew.durations import to_seconds
from sinew.errors import BrokerError, InvalidArgumentError, SinewError
from sinew.options.publisher_options import ReliablePublisherOptions
from sinew.outgoing_message import OutgoingMessage
from sinew.publish_receipt import PublishReceipt
from sinew.routing.router import Route
from sinew.wire.limits import MAX_U64

__all__ = ["ReliablePublisher"]


class ReliablePublisher(AsyncClosing):
    """Publishes to one queue with idempotency keys and bounded retries. Create with
    `SinewClient.create_reliable_publisher`; reliable publishers cannot be constructed
    directly."""

    __slots__ = ("_next_sequence", "_options", "_pipeline", "_producer_id")

    _pipeline: PublishPipeline
    _options: ReliablePublisherOptions
    _producer_id: str
    _next_sequence: int

    def __init__(self) -> None:
        raise TypeError("reliable publishers are made by SinewClient.create_reliable_publisher")

    @classmethod
    def _create(
        cls, pipeline: PublishPipeline, options: ReliablePublisherOptions
    ) -> ReliablePublisher:
        publisher = cls.__new__(cls)
        publisher._pipeline = pipeline
        publisher._options = options
        publisher._producer_id = options.producer_id or str(uuid.uuid4())
        publisher._next_sequence = options.first_sequence
        return publisher

    def __repr__(self) -> str:
        return (
            f"ReliablePublisher(topic={self.topic!r}, group={self.group!r}, "
            f"producer_id={self._producer_id!r}, next_sequence={self._next_sequence})"
        )

    @property
    def topic(self) -> str:
        return self._pipeline.topic

    @property
    def group(self) -> str | None:
        return self._pipeline.group

    @property
    def producer_id(self) -> str:
        return self._producer_id

    @property
    def next_sequence(self) -> int:
        """The sequence number the next message will carry."""
        return self._next_sequence

    async def publish(self, message: OutgoingMessage) -> PublishReceipt:
        """Publish, retrying retryable failures, until the broker confirms. A receipt with
        `duplicate=True` means an earlier attempt had already been stored."""
        receipts = await self._publish([message], "publish")
        return receipts[0]

    async def publish_batch(self, messages: Iterable[OutgoingMessage]) -> list[PublishReceipt]:
        """Publish several messages in one frame, each with its own sequence number,
        retrying the whole batch on retryable failures."""
        batch = list(messages)
        return await self._publish(batch, "publish_batch")

    # Closing

    async def close(self) -> None:
        """Close the publisher: later publishes raise `ClientClosedError`, retries waiting
        for their next attempt stop with `ClientClosedError`, and this returns once every
        publish in flight has settled. The client stays open. Safe to call more than once."""
        await self._pipeline.close()


    async def _publish(
        self, messages: Sequence[OutgoingMessage], operation: str
    ) -> list[PublishReceipt]:
        context = self._pipeline.context(operation)
        async with self._pipeline.operation(context):
            if not messages:
                return []
            return await self._publish_with_retries(messages, context)

    async def _publish_with_retries(
        self, messages: Sequence[OutgoingMessage], context: str
    ) -> list[PublishReceipt]:
        for message in messages:
            if not isinstance(message, OutgoingMessage):
                raise InvalidArgumentError(
                    f"expected an OutgoingMessage, not {type(message).__name__}",
                    argument="message",
                    reason="wrong_type",
                )
        sequences = self._take_sequences(len(messages))
        identities = [(self._producer_id, sequence) for sequence in sequences]
        routes: list[Route] = []
        attempt = 1
        while True:
            try:
                return await self._pipeline.send_confirmed(
                    messages, context=context, identities=identities, routes=routes
                )
            except SinewError as error:
                if not error.is_retryable or attempt >= self._options.max_attempts:
                    raise
                if isinstance(error, BrokerError) and error.code == "redirect":
                    routes.clear()
                failure = error
            await self._pipeline.pause(self._delay_after(attempt), context, after=failure)
            attempt += 1

    def _take_sequences(self, count: int) -> range:
        first = self._next_sequence
        if first + count - 1 > MAX_U64:
            raise InvalidArgumentError(
                "the producer's sequence numbers are used up; use a new producer id",
                argument="sequence",
                reason="out_of_range",
            )
        self._next_sequence = first + count
        return range(first, first + count)

    def _delay_after(self, attempt: int) -> float:
        initial = to_seconds(self._options.initial_retry_delay, argument="initial_retry_delay")
        maximum = to_seconds(self._options.max_retry_delay, argument="max_retry_delay")
        return float(min(maximum, initial * 2 ** min(attempt - 1, 64)))
