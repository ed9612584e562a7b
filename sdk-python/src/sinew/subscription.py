"""`Subscription`: a stream of deliveries from one queue, merged over its partitions.

Without a partition in its options a subscription holds one broker subscription per
partition (fan-in) and merges their deliveries into one stream; each delivery settles on
the connection it arrived on. When any partition subscription ends, the whole subscription
ends with that reason and the others are unsubscribed, so no partition goes unconsumed
while the rest carry on.

Iteration ends quietly after `close()`. When the subscription ends any other way (the broker
closed it, the connection dropped, the client was closed), iteration raises
`SubscriptionEndedError` with the reason; it never stops silently. Deliveries received but
not yet handed out are then dropped with manual ack, since they can no longer be settled
(the broker returns them to the queue), and handed out first with auto ack, since the broker
already counts them as done (except when the client was closed).

With auto ack the broker does not wait for settlements, so the subscription pushes back
instead: while it holds `prefetch` deliveries not yet handed out per broker subscription,
the connection stops reading the socket, and it reads again once half of them are taken.
A request on that connection is never held back by this: while one waits for its reply the
socket is read regardless, so a consumer may await a confirmed publish between deliveries.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from types import TracebackType
from typing import TYPE_CHECKING

from sinew.delivery import Delivery
from sinew.durations import Duration, to_seconds
from sinew.errors import (
    ClientClosedError,
    OperationTimeoutError,
    SinewError,
    SubscriptionEndedError,
    SubscriptionEndReason,
)
from sinew.wire.enums import AckMode, CloseReason
from sinew.wire.messages import Deliver, Message, Ok, SubscribeOk, Unsubscribe

if TYPE_CHECKING:
    from sinew.client import SinewClient
    from sinew.connection.connection import Connection

__all__ = ["Subscription"]

_log = logging.getLogger("sinew.subscription")


class Subscription:
    """Deliveries from one queue. Use as an async iterator and an async context manager::

        async with client.subscribe("orders") as subscription:
            async for delivery in subscription:
                ...
                await delivery.ack()

    Create with `SinewClient.subscribe`.
    """

    def __init__(
        self,
        *,
        client: SinewClient,
        connection: Connection,
        topic: str,
        group: str | None,
        ack_mode: AckMode,
        prefetch: int,
        broker_subscriptions: int = 1,
    ) -> None:
        self._client = client
        self._connection = connection
        self._topic = topic
        self._group = group
        self._ack_mode = ack_mode
        self._prefetch = prefetch
        self._parts: dict[int, tuple[int, ...]] = {}
        self._buffer: deque[Delivery] = deque()
        self._arrived = asyncio.Event()
        self._end_reason: SubscriptionEndReason | None = None
        self._end_message = ""
        self._closed_by_caller = False
        self._pausing_reading = False
        # Fixed when subscribing, so the threshold does not move while the partition
        # subscriptions are still being accepted.
        self._pause_threshold = prefetch * max(1, broker_subscriptions)
        self._is_client_closed = lambda: client.is_closed

    def __repr__(self) -> str:
        state = (
            "closed" if self._closed_by_caller else self._end_reason or "active"
        )
        return (
            f"Subscription(topic={self._topic!r}, group={self._group!r}, "
            f"partitions={self.partitions}, ack_mode={self._ack_mode.name}, {state})"
        )

    @property
    def topic(self) -> str:
        return self._topic

    @property
    def group(self) -> str | None:
        return self._group

    @property
    def ack_mode(self) -> AckMode:
        return self._ack_mode

    @property
    def prefetch(self) -> int:
        """Most unsettled deliveries held at once, per partition subscription."""
        return self._prefetch

    @property
    def partitions(self) -> tuple[int, ...]:
        """The partitions covered, in order."""
        return tuple(sorted({p for partitions in self._parts.values() for p in partitions}))

    @property
    def is_active(self) -> bool:
        """True until the subscription is closed or ends."""
        return not self._closed_by_caller and self._end_reason is None

    @property
    def end_reason(self) -> SubscriptionEndReason | None:
        """Why the subscription ended, if it ended other than by `close()`."""
        return self._end_reason

    @property
    def buffered(self) -> int:
        """Deliveries received and not yet handed out."""
        return len(self._buffer)

    # Consuming

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Delivery:
        delivery = await self._take(None)
        if delivery is None:
            raise StopAsyncIteration
        return delivery

    async def next(self, timeout: Duration | None = None) -> Delivery:
        """The next delivery, waiting at most `timeout` (default: no limit).

        Raises `OperationTimeoutError` (a `TimeoutError`) when none arrives in time,
        `SubscriptionEndedError` once the subscription has ended (with auto ack, after the
        deliveries that had arrived are handed out), and `ClientClosedError` after `close()`.
        """
        seconds = None if timeout is None else to_seconds(timeout, argument="timeout")
        delivery = await self._take(seconds)
        if delivery is None:
            raise ClientClosedError(f"the subscription to {self._topic!r} is closed")
        return delivery

    async def _take(self, timeout: float | None) -> Delivery | None:
        """The next delivery, or None once closed by the caller."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            if self._closed_by_caller:
                return None
            if self._buffer:
                delivery = self._buffer.popleft()
                self._maybe_resume_reading()
                return delivery
            if self._end_reason is not None:
                raise SubscriptionEndedError(self._end_message, reason=self._end_reason)
            self._arrived.clear()
            try:
                async with asyncio.timeout_at(deadline):
                    await self._arrived.wait()
            except TimeoutError:
                raise OperationTimeoutError(
                    f"no delivery from {self._topic!r} within {timeout:g} s", timeout=timeout
                ) from None

    # Closing

    async def close(self) -> None:
        """Unsubscribe; iteration then ends quietly. Safe to call more than once.

        With manual ack, unsettled deliveries (taken or not) go back to the queue for other
        consumers. With auto ack, deliveries received but not yet taken are dropped: the
        broker settled them when it sent them.
        """
        if self._closed_by_caller:
            return
        self._closed_by_caller = True
        self._buffer.clear()
        self._release_reading()
        self._arrived.set()
        self._client._forget_subscription(self)
        if self._end_reason is not None:
            return
        unsubscribes = self._unsubscribe_all()
        if unsubscribes:
            await asyncio.gather(*unsubscribes, return_exceptions=True)

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # Driven by the client

    def _attach(self, reply: Message) -> None:
        """Registers a broker subscription as its `SubscribeOk` is dispatched, before any
        `Deliver` for it can be."""
        assert isinstance(reply, SubscribeOk)
        self._parts[reply.subscription_id] = tuple(reply.partitions)
        self._client._register_part(reply.subscription_id, self)

    def _deliver(self, message: Deliver) -> None:
        if not self.is_active:
            return
        for delivered in message.messages:
            self._buffer.append(
                Delivery(
                    delivered,
                    topic=self._topic,
                    group=self._group,
                    ack_mode=self._ack_mode,
                    connection=self._connection,
                    is_client_closed=self._is_client_closed,
                )
            )
        self._arrived.set()
        self._maybe_pause_reading()

    def _established_by_client(self) -> None:
        """Every broker subscription was accepted and `subscribe` returns."""
        self._maybe_pause_reading()

    def _maybe_pause_reading(self) -> None:
        # Manual ack is bounded by prefetch at the broker; auto ack only by how fast the
        # socket is read.
        if (
            not self._pausing_reading
            and self._ack_mode == AckMode.AUTO
            and self.is_active
            and len(self._buffer) >= self._pause_threshold
        ):
            self._pausing_reading = True
            self._connection.pause_reading(self)

    def _maybe_resume_reading(self) -> None:
        if self._pausing_reading and len(self._buffer) <= self._pause_threshold // 2:
            self._release_reading()

    def _release_reading(self) -> None:
        if self._pausing_reading:
            self._pausing_reading = False
            self._connection.resume_reading(self)

    def _part_closed(self, subscription_id: int, reason: CloseReason, message: str) -> None:
        """The broker ended one partition subscription; the whole subscription ends, so no
        partition goes unconsumed while the others carry on."""
        self._parts.pop(subscription_id, None)
        if not self.is_active:
            return
        end_reason = SubscriptionEndReason(reason.name.lower())
        self._end(
            end_reason,
            f"the broker ended the subscription to {self._topic!r} ({end_reason.value}"
            f"{': ' + message if message else ''})",
        )
        for future in self._unsubscribe_all():
            future.add_done_callback(_consume)

    def _connection_lost(self, error: SinewError) -> None:
        self._end(
            SubscriptionEndReason.CONNECTION_LOST,
            f"the subscription to {self._topic!r} ended because the connection was lost "
            f"({error.message}); subscribe again once reconnected",
        )

    def _client_closing(self) -> list[int]:
        """Ends the subscription for a closing client; returns the broker ids to unsubscribe."""
        ids = list(self._parts)
        self._end(
            SubscriptionEndReason.CLIENT_CLOSED,
            f"the client was closed; the subscription to {self._topic!r} ended",
        )
        return ids

    def _abandon(self) -> None:
        """Undo a subscribe that failed part-way: unsubscribe what was attached."""
        self._closed_by_caller = True
        self._buffer.clear()
        self._release_reading()
        for future in self._unsubscribe_all():
            future.add_done_callback(_consume)

    def _end(self, reason: SubscriptionEndReason, message: str) -> None:
        if not self.is_active:
            return
        self._end_reason = reason
        self._end_message = message
        if self._ack_mode == AckMode.MANUAL or reason == SubscriptionEndReason.CLIENT_CLOSED:
            # Manual: they can no longer be settled, and the broker returns them to the queue.
            self._buffer.clear()
        self._release_reading()
        self._arrived.set()
        self._client._forget_subscription(self)

    def _unsubscribe_all(self) -> list[asyncio.Future[Message]]:
        ids = list(self._parts)
        self._parts.clear()
        self._client._forget_parts(ids)
        futures: list[asyncio.Future[Message]] = []
        if not self._connection.is_open:
            return futures
        for subscription_id in ids:
            try:
                futures.append(
                    self._connection.start_request(
                        Unsubscribe(subscription_id=subscription_id),
                        context=f"unsubscribe from {self._topic!r}",
                        expects=(Ok,),
                    )
                )
            except SinewError as error:
                _log.debug("could not unsubscribe %d: %s", subscription_id, error)
        return futures


def _consume(future: asyncio.Future[Message]) -> None:
    if not future.cancelled() and future.exception() is not None:
        _log.debug("unsubscribe failed: %s", future.exception())
