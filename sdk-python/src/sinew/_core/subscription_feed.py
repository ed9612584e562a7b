"""`SubscriptionFeed`: the broker subscriptions behind one `Subscription` and the deliveries
they pushed, not yet handed out.

Without a partition in its options a subscription holds one broker subscription per
partition (fan-in) and merges their deliveries into one stream; each delivery settles on the
connection it arrived on. The feed is the `SubscriptionSink` of each of its broker
subscriptions: the connection hands it their deliveries, their end by the broker and its own
end. When any partition subscription ends, the whole subscription ends with that reason and
the others are unsubscribed, so no partition goes unconsumed while the rest carry on.

Deliveries received but not yet handed out are dropped when a manual-ack subscription ends,
since they can no longer be settled (the broker returns them to the queue), and handed out
first with auto ack, since the broker already counts them as done (except when the client
was closed).

With manual ack the feed also keeps the deliveries it handed out and that are not settled
(`HandedOut`), and each `Unsubscribe` lists those of its broker subscription, so that the
broker counts a failure for them only, not for prefetched ones the application never saw.
The buffer keeps each `Deliver` frame's messages together with their broker subscription, so
handing one out costs no allocation besides its entry in that set.

With auto ack the broker does not wait for settlements, so the feed pushes back instead:
while it holds `prefetch` deliveries not yet handed out per broker subscription, the
connection stops reading the socket, and it reads again once half of them are taken. A
request on that connection is never held back by this: while one waits for its reply the
socket is read regardless, so a consumer may await a confirmed publish between deliveries.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from typing import Any

from sinew._core.client_core import ClientCore
from sinew._core.delivery_source import DeliverySource
from sinew._core.handed_out import HandedOut, list_limit
from sinew.connection.connection import Connection
from sinew.errors import (
    ConnectionLostError,
    InvalidArgumentError,
    OperationTimeoutError,
    SinewError,
    SubscriptionEndedError,
    SubscriptionEndReason,
)
from sinew.options.subscribe_options import SubscribeOptions
from sinew.wire.enums import AckMode, CloseReason
from sinew.wire.messages import DeliveredMessage, Message, Ok, Subscribe, SubscribeOk, Unsubscribe

__all__ = ["SubscriptionFeed"]

_log = logging.getLogger("sinew.subscription")


class SubscriptionFeed:
    def __init__(
        self,
        core: ClientCore,
        connection: Connection,
        *,
        topic: str,
        group: str | None,
        options: SubscribeOptions,
        broker_subscriptions: int,
    ) -> None:
        self._core = core
        self._connection = connection
        self.topic = topic
        self.group = group
        self.ack_mode = options.ack_mode
        self.prefetch = options.prefetch
        self._handed_out = HandedOut()
        self.source = DeliverySource(
            core,
            connection,
            topic=topic,
            group=group,
            ack_mode=options.ack_mode,
            handed_out=self._handed_out,
        )
        self._parts: dict[int, tuple[int, ...]] = {}
        # Whole `Deliver` frames with their broker subscription; `_taken` messages of the first
        # one are handed out already.
        self._buffer: deque[tuple[int, Sequence[DeliveredMessage]]] = deque()
        self._taken = 0
        self._buffered = 0
        self._arrived = asyncio.Event()
        self._end_reason: SubscriptionEndReason | None = None
        self._end_message = ""
        self._closed_by_caller = False
        self._ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pausing_reading = False
        # Fixed when subscribing, so the threshold does not move while the partition
        # subscriptions are still being accepted.
        self._pause_threshold = options.prefetch * max(1, broker_subscriptions)

    @classmethod
    async def open(
        cls, core: ClientCore, topic: str, group: str | None, options: SubscribeOptions
    ) -> SubscriptionFeed:
        """Subscribe to every partition of the queue (or the one in `options`), pipelining the
        `Subscribe` frames; returns once the broker accepted them all. If any is refused, the
        others are unsubscribed and the refusal is raised."""
        context = f"subscribe to {topic!r}"
        connection = await core.connection_for(context)
        max_prefetch = connection.limits.max_prefetch
        if options.prefetch > max_prefetch:
            raise InvalidArgumentError(
                f"prefetch {options.prefetch} is more than the broker's limit of {max_prefetch}",
                argument="prefetch",
                reason="out_of_range",
            )
        partitions: list[int | None]
        await core.learn_route(connection, topic, group)
        count = core.router.partitions(topic, group)
        if options.partition is not None:
            if count and options.partition >= count:
                raise InvalidArgumentError(
                    f"partition {options.partition} is not a partition of {topic!r}, which has "
                    f"{count} (0 to {count - 1})",
                    argument="partition",
                    reason="out_of_range",
                )
            partitions = [options.partition]
        else:
            # Unknown to the topology: one subscription over every partition, and the
            # broker's answer (usually not_found) decides.
            partitions = list(range(count)) if count else [None]
        feed = cls(
            core,
            connection,
            topic=topic,
            group=group,
            options=options,
            broker_subscriptions=len(partitions),
        )
        replies: list[asyncio.Future[Message]] = []
        try:
            for partition in partitions:
                replies.append(
                    connection.start_request(
                        Subscribe(
                            topic=topic,
                            group=group,
                            partition=partition,
                            ack_mode=options.ack_mode,
                            prefetch=options.prefetch,
                        ),
                        context=context
                        if partition is None
                        else f"{context} partition {partition}",
                        expects=(SubscribeOk,),
                        on_reply=feed._attach,
                    )
                )
            results = await asyncio.gather(*replies, return_exceptions=True)
        except BaseException:
            feed._abandon()
            raise
        failures = [result for result in results if isinstance(result, BaseException)]
        if failures:
            feed._abandon()
            raise failures[0]
        if core.is_closed or not connection.is_open:
            feed._abandon()
            core.check_open(context)
            raise connection.end_reason or ConnectionLostError(
                f"{context}: the connection was lost"
            )
        core.subscriptions.add(feed)
        feed._maybe_pause_reading()
        return feed

    # State

    @property
    def partitions(self) -> tuple[int, ...]:
        """The partitions covered, in order."""
        return tuple(sorted({p for partitions in self._parts.values() for p in partitions}))

    @property
    def is_active(self) -> bool:
        return not self._closed_by_caller and self._end_reason is None

    @property
    def is_closed_by_caller(self) -> bool:
        return self._closed_by_caller

    @property
    def end_reason(self) -> SubscriptionEndReason | None:
        return self._end_reason

    @property
    def buffered(self) -> int:
        return self._buffered

    @property
    def completion(self) -> asyncio.Future[None]:
        """Done when the subscription ends, however it ends; it never fails."""
        return self._ended

    # Taking deliveries

    async def take(self, timeout: float | None) -> DeliveredMessage | None:
        """The next delivery, or None once closed by the caller. Raises
        `SubscriptionEndedError` once ended and drained, `OperationTimeoutError` after
        `timeout` seconds without one."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            if self._closed_by_caller:
                return None
            if self._buffer:
                message = self._hand_out()
                self._maybe_resume_reading()
                return message
            if self._end_reason is not None:
                raise SubscriptionEndedError(self._end_message, reason=self._end_reason)
            self._arrived.clear()
            try:
                async with asyncio.timeout_at(deadline):
                    await self._arrived.wait()
            except TimeoutError:
                raise OperationTimeoutError(
                    f"no delivery from {self.topic!r} within {timeout:g} s", timeout=timeout
                ) from None

    # Closing

    async def close(self) -> None:
        """Unsubscribe every broker subscription and wait for the answers. Idempotent."""
        if self._closed_by_caller:
            return
        self._closed_by_caller = True
        self._clear_buffer()
        self._release_reading()
        self._arrived.set()
        self._mark_ended()
        self._core.subscriptions.discard(self)
        if self._end_reason is not None:
            return
        unsubscribes = self._unsubscribe_all()
        if unsubscribes:
            await asyncio.gather(*unsubscribes, return_exceptions=True)

    def handed_out_ids(self) -> list[int]:
        return list(self._handed_out)

    def end_for_client_close(self) -> list[asyncio.Future[Any]]:
        # The partitions stay listed: the subscription covered them until the client closed.
        unsubscribes = self._unsubscribe(list(self._parts))
        self._end(
            SubscriptionEndReason.CLIENT_CLOSED,
            f"the client was closed; the subscription to {self.topic!r} ended",
        )
        return list(unsubscribes)

    # The sink of each broker subscription: these run in the connection's read loop

    def deliver(self, subscription_id: int, messages: Sequence[DeliveredMessage]) -> None:
        if not self.is_active or not messages:
            return
        self._buffer.append((subscription_id, messages))
        self._buffered += len(messages)
        self._arrived.set()
        self._maybe_pause_reading()

    def delivery_gone(self, delivery_id: int) -> None:
        self._handed_out.pop(delivery_id, None)

    def closed_by_broker(self, subscription_id: int, reason: CloseReason, message: str) -> None:
        self._parts.pop(subscription_id, None)
        if not self.is_active:
            return
        end_reason = SubscriptionEndReason(reason.name.lower())
        self._end(
            end_reason,
            f"the broker ended the subscription to {self.topic!r} ({end_reason.value}"
            f"{': ' + message if message else ''})",
        )
        for future in self._unsubscribe_all():
            future.add_done_callback(_log_unsubscribe_failure)

    def connection_ended(self, error: SinewError, *, by_client: bool) -> None:
        # The session is gone with its deliveries; a new connection starts a new one.
        self._handed_out.clear()
        if by_client:
            self._end(
                SubscriptionEndReason.CLIENT_CLOSED,
                f"the client was closed; the subscription to {self.topic!r} ended",
            )
        else:
            self._end(
                SubscriptionEndReason.CONNECTION_LOST,
                f"the subscription to {self.topic!r} ended because the connection was lost "
                f"({error.message}); subscribe again once reconnected",
            )

    # Internals

    def _attach(self, reply: Message) -> None:
        """Registers a broker subscription as its `SubscribeOk` is dispatched, before any
        `Deliver` for it can be."""
        assert isinstance(reply, SubscribeOk)
        self._parts[reply.subscription_id] = tuple(reply.partitions)
        self._connection.add_sink(reply.subscription_id, self)

    def _abandon(self) -> None:
        """Undo a subscribe that failed part-way: unsubscribe what was attached."""
        self._closed_by_caller = True
        self._clear_buffer()
        self._release_reading()
        self._mark_ended()
        for future in self._unsubscribe_all():
            future.add_done_callback(_log_unsubscribe_failure)

    def _end(self, reason: SubscriptionEndReason, message: str) -> None:
        if not self.is_active:
            return
        self._end_reason = reason
        self._end_message = message
        if self.ack_mode == AckMode.MANUAL or reason == SubscriptionEndReason.CLIENT_CLOSED:
            # Manual: they can no longer be settled, and the broker returns them to the queue.
            self._clear_buffer()
        self._release_reading()
        self._arrived.set()
        self._mark_ended()
        self._core.subscriptions.discard(self)

    def _mark_ended(self) -> None:
        if not self._ended.done():
            self._ended.set_result(None)

    def _unsubscribe_all(self) -> list[asyncio.Future[Message]]:
        ids = list(self._parts)
        self._parts.clear()
        return self._unsubscribe(ids)

    def _unsubscribe(self, ids: list[int]) -> list[asyncio.Future[Message]]:
        """Stop routing to this feed and send an `Unsubscribe` for each broker subscription,
        listing what it handed out; the futures of the answers are returned."""
        for subscription_id in ids:
            self._connection.remove_sink(subscription_id)
        handed_out = self._handed_out.take(ids, list_limit(self._connection))
        futures: list[asyncio.Future[Message]] = []
        if not self._connection.is_open:
            return futures
        # Settlements issued before must not be overtaken: their deliveries count as settled.
        self._connection.settler.flush()
        for subscription_id in ids:
            try:
                futures.append(
                    self._connection.start_request(
                        Unsubscribe(
                            subscription_id=subscription_id, handed_out=handed_out[subscription_id]
                        ),
                        context=f"unsubscribe from {self.topic!r}",
                        expects=(Ok,),
                    )
                )
            except SinewError as error:
                _log.debug("could not unsubscribe %d: %s", subscription_id, error)
        return futures

    def _hand_out(self) -> DeliveredMessage:
        """The oldest buffered delivery, recorded as handed out with manual ack."""
        subscription_id, messages = self._buffer[0]
        message = messages[self._taken]
        self._taken += 1
        if self._taken == len(messages):
            self._buffer.popleft()
            self._taken = 0
        self._buffered -= 1
        if self.ack_mode == AckMode.MANUAL:
            self._handed_out[message.delivery_id] = subscription_id
        return message

    def _clear_buffer(self) -> None:
        self._buffer.clear()
        self._taken = 0
        self._buffered = 0

    def _maybe_pause_reading(self) -> None:
        # Manual ack is bounded by prefetch at the broker; auto ack only by how fast the
        # socket is read.
        if (
            not self._pausing_reading
            and self.ack_mode == AckMode.AUTO
            and self.is_active
            and self._buffered >= self._pause_threshold
        ):
            self._pausing_reading = True
            self._connection.pause_reading(self)

    def _maybe_resume_reading(self) -> None:
        if self._pausing_reading and self._buffered <= self._pause_threshold // 2:
            self._release_reading()

    def _release_reading(self) -> None:
        if self._pausing_reading:
            self._pausing_reading = False
            self._connection.resume_reading(self)


def _log_unsubscribe_failure(future: asyncio.Future[Message]) -> None:
    if not future.cancelled() and future.exception() is not None:
        _log.debug("unsubscribe failed: %s", future.exception())
