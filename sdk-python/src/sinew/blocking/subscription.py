"""The blocking `Subscription`: an iterator and context manager over the asyncio one."""

from __future__ import annotations

import concurrent.futures
import warnings

from sinew._core.closing import Closing
from sinew.blocking.delivery import Delivery
from sinew.blocking.event_loop_thread import EventLoopThread
from sinew.delivery import Delivery as AsyncDelivery
from sinew.durations import Duration
from sinew.errors import SubscriptionEndReason
from sinew.subscription import Subscription as AsyncSubscription
from sinew.wire.enums import AckMode

__all__ = ["Subscription"]


async def _completion(subscription: AsyncSubscription) -> None:
    await subscription.completion


async def _next_or_none(subscription: AsyncSubscription) -> AsyncDelivery | None:
    # StopAsyncIteration must not cross into the waiting thread as an exception.
    try:
        return await subscription.__anext__()
    except StopAsyncIteration:
        return None


class Subscription(Closing):
    """Deliveries from one queue; see `sinew.Subscription` for the semantics::

        with client.subscribe("orders") as subscription:
            for delivery in subscription:
                delivery.ack()

    Create with `SinewClient.subscribe`.
    """

    def __init__(self, inner: AsyncSubscription, loop: EventLoopThread) -> None:
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
    def ack_mode(self) -> AckMode:
        return self._inner.ack_mode

    @property
    def prefetch(self) -> int:
        return self._inner.prefetch

    @property
    def partitions(self) -> tuple[int, ...]:
        return self._inner.partitions

    @property
    def is_active(self) -> bool:
        return self._inner.is_active

    @property
    def end_reason(self) -> SubscriptionEndReason | None:
        return self._inner.end_reason

    @property
    def buffered(self) -> int:
        return self._inner.buffered

    @property
    def completion(self) -> concurrent.futures.Future[None]:
        """A future that is done when the subscription has ended, however it ended (see
        `sinew.Subscription.completion`); it never raises. Wait with `.result(timeout)`."""
        # The subscription ends exactly when it stops being active; once ended, or once the
        # loop is gone with the client, there is nothing left to wait for.
        if not self._inner.is_active or not self._loop.is_running:
            finished: concurrent.futures.Future[None] = concurrent.futures.Future()
            finished.set_result(None)
            return finished
        return self._loop.submit(_completion(self._inner))

    def __iter__(self) -> Subscription:
        return self

    def __next__(self) -> Delivery:
        delivery = self._loop.run(_next_or_none(self._inner))
        if delivery is None:
            raise StopIteration
        return Delivery(delivery, self._loop)

    def receive(self, timeout: Duration | None = None) -> Delivery:
        """The next delivery, as `sinew.Subscription.receive` gives it."""
        return Delivery(self._loop.run(self._inner.receive(timeout)), self._loop)

    def next(self, timeout: Duration | None = None) -> Delivery:
        """Deprecated: the former name of `receive`, which every Sinew client shares."""
        warnings.warn(
            "Subscription.next() is deprecated; use receive()", DeprecationWarning, stacklevel=2
        )
        return self.receive(timeout)

    def close(self) -> None:
        if self._loop.is_running:
            self._loop.run(self._inner.close())

