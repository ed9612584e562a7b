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

Leaving an `async for` early (`break`, `return`, an exception) does not close the
subscription: it stays open, and iterating again continues with the next delivery. Closing
is explicit, with `close()` or by leaving `async with`.

With auto ack the broker does not wait for settlements, so the subscription pushes back
instead: while it holds `prefetch` deliveries not yet handed out per broker subscription,
the connection stops reading the socket, and it reads again once half of them are taken.
A request on that connection is never held back by this: while one waits for its reply the
socket is read regardless, so a consumer may await a confirmed publish between deliveries.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Awaitable

from sinew._core.closing import AsyncClosing
from sinew._core.subscription_feed import SubscriptionFeed
from sinew.delivery import Delivery
from sinew.durations import Duration, to_seconds
from sinew.errors import ClientClosedError, SubscriptionEndReason
from sinew.wire.enums import AckMode

__all__ = ["Subscription"]


class Subscription(AsyncClosing):
    """Deliveries from one queue. Use as an async iterator and an async context manager::

        async with client.subscribe("orders") as subscription:
            async for delivery in subscription:
                ...
                await delivery.ack()

    Create with `SinewClient.subscribe`; subscriptions cannot be constructed directly.
    """

    __slots__ = ("_feed",)

    _feed: SubscriptionFeed

    def __init__(self) -> None:
        raise TypeError("subscriptions are made by SinewClient.subscribe")

    @classmethod
    def _create(cls, feed: SubscriptionFeed) -> Subscription:
        subscription = cls.__new__(cls)
        subscription._feed = feed
        return subscription

    def __repr__(self) -> str:
        feed = self._feed
        state = "closed" if feed.is_closed_by_caller else feed.end_reason or "active"
        return (
            f"Subscription(topic={feed.topic!r}, group={feed.group!r}, "
            f"partitions={self.partitions}, ack_mode={feed.ack_mode.name}, {state})"
        )

    @property
    def topic(self) -> str:
        return self._feed.topic

    @property
    def group(self) -> str | None:
        return self._feed.group

    @property
    def ack_mode(self) -> AckMode:
        return self._feed.ack_mode

    @property
    def prefetch(self) -> int:
        """Most unsettled deliveries held at once, per partition subscription."""
        return self._feed.prefetch

    @property
    def partitions(self) -> tuple[int, ...]:
        """The partitions covered, in order."""
        return self._feed.partitions

    @property
    def is_active(self) -> bool:
        """True until the subscription is closed or ends."""
        return self._feed.is_active

    @property
    def end_reason(self) -> SubscriptionEndReason | None:
        """Why the subscription ended, if it ended other than by `close()`."""
        return self._feed.end_reason

    @property
    def buffered(self) -> int:
        """Deliveries received and not yet handed out."""
        return self._feed.buffered

    @property
    def completion(self) -> Awaitable[None]:
        """Awaitable that finishes when the subscription has ended, however it ended: closed
        by the caller, by the broker, by the connection dropping or by the client closing. It
        never raises; `end_reason` says why. Cancelling a wait for it cancels only the wait."""
        return asyncio.shield(self._feed.completion)

    # Consuming

    def __aiter__(self) -> Subscription:
        """The subscription is its own iterator: leaving a loop early neither closes it nor
        loses a delivery, and a later loop goes on from the next one."""
        return self

    async def __anext__(self) -> Delivery:
        delivery = await self._take(None)
        if delivery is None:
            raise StopAsyncIteration
        return delivery

    async def receive(self, timeout: Duration | None = None) -> Delivery:
        """The next delivery, waiting at most `timeout` (default: no limit).

        Raises `OperationTimeoutError` (a `TimeoutError`) when none arrives in time,
        `SubscriptionEndedError` once the subscription has ended (with auto ack, after the
        deliveries that had arrived are handed out), and `ClientClosedError` after `close()`.
        """
        seconds = None if timeout is None else to_seconds(timeout, argument="timeout")
        delivery = await self._take(seconds)
        if delivery is None:
            raise ClientClosedError(f"the subscription to {self._feed.topic!r} is closed")
        return delivery

    async def next(self, timeout: Duration | None = None) -> Delivery:
        """Deprecated: the former name of `receive`, which every Sinew client shares."""
        warnings.warn(
            "Subscription.next() is deprecated; use receive()", DeprecationWarning, stacklevel=2
        )
        return await self.receive(timeout)

    async def _take(self, timeout: float | None) -> Delivery | None:
        message = await self._feed.take(timeout)
        return None if message is None else Delivery._create(message, self._feed.source)

    # Closing

    async def close(self) -> None:
        """Unsubscribe; iteration then ends quietly. Safe to call more than once.

        With manual ack, unsettled deliveries (taken or not) go back to the queue for other
        consumers. The `Unsubscribe` names those taken and not settled, and only they count a
        failure towards the queue's `max_retries`: prefetched ones the application never saw
        spend nothing. With auto ack, deliveries received but not yet taken are dropped: the
        broker settled them when it sent them.
        """
        await self._feed.close()

