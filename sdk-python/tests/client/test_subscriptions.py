"""Subscriptions against the fake broker, which delivers what the test scripts and records
what the client sends: one Subscribe per partition, prefetch and ack mode on the wire,
settlement frames (batched, per delivery, exactly once, in order), a stale delivery's
failure, every way a subscription can end, and reading paused and resumed for a pending reply.

The fake accepts each Subscribe with the request's own id as the subscription id. What the
real broker's queues decide (redelivery, prefetch, metadata, flow control with real
deliveries) runs against it (tests/broker/test_broker_subscriptions.py)."""

from __future__ import annotations

import asyncio
import gc

import pytest
from support.fake_broker import FakeBroker
from support.options import options_for
from support.scripted_frames import (
    ERROR_RESOURCE_EXHAUSTED,
    deliver,
    delivered,
    error,
    ok,
    settle_ok,
    subscribe_ok,
    topology,
)

from sinew import (
    AckMode,
    BrokerError,
    ClientClosedError,
    Delivery,
    InvalidArgumentError,
    OperationTimeoutError,
    SinewClient,
    SubscribeOptions,
    Subscription,
    SubscriptionEndedError,
    SubscriptionEndReason,
)
from sinew.wire import (
    Ack,
    CloseReason,
    DeliveredMessage,
    ExtendLease,
    Nack,
    Subscribe,
    SubscriptionClosed,
    TopologyRequest,
    Unsubscribe,
)


def _queue(broker: FakeBroker, partitions: int = 1) -> None:
    """Scripts a broker that knows `orders` with `partitions` partitions and accepts
    subscribing, unsubscribing and every settlement."""
    broker.answer(TopologyRequest, lambda frame: topology(("orders", partitions)))
    broker.answer(Subscribe, subscribe_ok)
    broker.answer(Unsubscribe, lambda frame: ok())
    for settlement in (Ack, Nack, ExtendLease):
        broker.answer(settlement, lambda frame: settle_ok())


def _subscription_id(broker: FakeBroker, partition: int = 0) -> int:
    """The id the fake gave the client's subscription to `partition` (its request id)."""
    for message, frame in zip(broker.messages(Subscribe), broker.frames(Subscribe)):
        if message.partition == partition:
            return frame.request_id
    raise KeyError(partition)


def _deliver(broker: FakeBroker, *messages: DeliveredMessage, partition: int = 0) -> None:
    broker.push(deliver(_subscription_id(broker, partition), *messages))


def _numbered(count: int, partition: int = 0) -> list[DeliveredMessage]:
    return [delivered(n + 1, bytes([n]), partition=partition, offset=n) for n in range(count)]


async def _take(subscription: Subscription, count: int) -> list[Delivery]:
    return [await subscription.receive(timeout=2) for _ in range(count)]


async def test_a_subscription_fans_in_every_partition(broker: FakeBroker, client: SinewClient) -> None:
    _queue(broker, partitions=3)
    async with client.subscribe("orders") as subscription:
        assert subscription.partitions == (0, 1, 2)
        for partition in range(3):
            _deliver(broker, delivered(partition + 1, f"p{partition}".encode(), partition=partition), partition=partition)
        deliveries = await _take(subscription, 3)
    assert sorted((d.partition, d.payload) for d in deliveries) == [(0, b"p0"), (1, b"p1"), (2, b"p2")]
    subscribes = broker.messages(Subscribe)
    assert [s.partition for s in subscribes if isinstance(s, Subscribe)] == [0, 1, 2]


async def test_prefetch_and_ack_mode_are_passed_through(broker: FakeBroker, client: SinewClient) -> None:
    _queue(broker, partitions=2)
    async with client.subscribe("orders", SubscribeOptions(prefetch=7, ack_mode=AckMode.AUTO)):
        pass
    sent = [m for m in broker.messages(Subscribe) if isinstance(m, Subscribe)]
    assert [(s.prefetch, s.ack_mode) for s in sent] == [(7, AckMode.AUTO)] * 2


async def test_a_prefetch_above_the_broker_limit_is_refused(broker: FakeBroker, client: SinewClient) -> None:
    _queue(broker)
    with pytest.raises(InvalidArgumentError) as caught:
        await client.subscribe("orders", SubscribeOptions(prefetch=65_536))
    assert caught.value.argument == "prefetch"
    assert broker.messages(Subscribe) == []


async def test_auto_ack_deliveries_cannot_be_settled(broker: FakeBroker, client: SinewClient) -> None:
    _queue(broker)
    async with client.subscribe("orders", SubscribeOptions(ack_mode=AckMode.AUTO)) as subscription:
        _deliver(broker, delivered(1, b"x"))
        delivery = await subscription.receive(timeout=2)
        assert delivery.is_settled
        for settle in (delivery.ack, delivery.retry, delivery.fail, delivery.extend_lease):
            with pytest.raises(InvalidArgumentError) as caught:
                await settle()
            assert caught.value.reason == "auto_ack"
    assert broker.messages(Ack) == [] and broker.messages(Nack) == []


async def test_settling_twice_is_refused_without_sending(broker: FakeBroker, client: SinewClient) -> None:
    _queue(broker)
    async with client.subscribe("orders") as subscription:
        _deliver(broker, delivered(1, b"x"))
        delivery = await subscription.receive(timeout=2)
        await delivery.ack()
        for settle in (delivery.ack, delivery.fail, delivery.retry, delivery.extend_lease):
            with pytest.raises(InvalidArgumentError) as caught:
                await settle()
            assert caught.value.reason == "already_settled"
        with pytest.raises(InvalidArgumentError):
            await delivery.retry_after(1)
    assert len(broker.messages(Ack)) == 1 and broker.messages(Nack) == []


async def test_settlements_in_one_loop_iteration_share_one_frame_per_kind(broker: FakeBroker, client: SinewClient) -> None:
    _queue(broker)
    async with client.subscribe("orders") as subscription:
        _deliver(broker, *_numbered(6))
        d = await _take(subscription, 6)
        await asyncio.gather(
            d[0].ack(), d[1].ack(), d[2].ack(), d[3].fail("bad"), d[4].retry("busy"), d[5].retry_after(1.5, "later")
        )
    (ack,) = broker.messages(Ack)
    (nack,) = broker.messages(Nack)
    assert isinstance(ack, Ack) and ack.delivery_ids == tuple(x.delivery_id for x in d[:3])
    assert isinstance(nack, Nack)
    assert [(i.requeue, i.reason, i.delay_ms) for i in nack.items] == [
        (False, "bad", None),
        (True, "busy", None),
        (True, "later", 1500),
    ]


async def test_a_stale_delivery_fails_only_its_own_settlement(broker: FakeBroker, client: SinewClient) -> None:
    _queue(broker)
    async with client.subscribe("orders") as subscription:
        _deliver(broker, delivered(1, b"a"), delivered(2, b"b", offset=1))
        first, second = await _take(subscription, 2)
        # Its lease ran out at the broker, which answers its settlement as stale.
        broker.answer(Ack, lambda frame: settle_ok(first.delivery_id))
        results = await asyncio.gather(first.ack(), second.ack(), return_exceptions=True)
    assert isinstance(results[0], BrokerError)
    assert results[0].code == "stale_delivery" and results[0].details["delivery_id"] == str(first.delivery_id)
    assert results[1] is None
    assert len(broker.messages(Ack)) == 1


async def test_a_lease_extension_sends_its_length_and_leaves_the_delivery_unsettled(
    broker: FakeBroker, client: SinewClient
) -> None:
    _queue(broker)
    async with client.subscribe("orders") as subscription:
        _deliver(broker, delivered(1, b"a"))
        delivery = await subscription.receive(timeout=2)
        await delivery.extend_lease(45)
        await delivery.extend_lease()
        assert not delivery.is_settled
        await delivery.ack()
    extensions = [m for m in broker.messages(ExtendLease) if isinstance(m, ExtendLease)]
    assert [item.extend_ms for m in extensions for item in m.items] == [45_000, None]


@pytest.mark.parametrize("reason", list(CloseReason), ids=lambda reason: reason.name.lower())
async def test_a_broker_close_ends_iteration_with_its_reason(
    broker: FakeBroker, client: SinewClient, reason: CloseReason
) -> None:
    _queue(broker, partitions=2)
    subscription = await client.subscribe("orders")
    first_id, second_id = _subscription_id(broker, 0), _subscription_id(broker, 1)
    broker.push(SubscriptionClosed(subscription_id=first_id, reason=reason, message="because"))
    with pytest.raises(SubscriptionEndedError) as caught:
        async for _ in subscription:
            pass
    assert caught.value.reason == SubscriptionEndReason(reason.name.lower())
    assert caught.value.code == reason.name.lower() and "because" in caught.value.message
    # Only the transient ends are worth subscribing again for.
    assert caught.value.is_retryable == (
        reason in (CloseReason.SERVER_SHUTDOWN, CloseReason.RECONCILE_CLOSED)
    )
    assert subscription.end_reason == caught.value.reason and not subscription.is_active
    # The other partition's broker subscription is ended too, so nothing is left leased.
    await broker.wait_for(lambda: len(broker.messages(Unsubscribe)) == 1)
    assert [m.subscription_id for m in broker.messages(Unsubscribe)] == [second_id]
    # Ending is sticky: the next call raises again.
    with pytest.raises(SubscriptionEndedError):
        await subscription.receive(timeout=1)


async def test_deliveries_that_arrived_before_the_end_are_handed_out_first(broker: FakeBroker, client: SinewClient) -> None:
    _queue(broker)
    subscription = await client.subscribe("orders", SubscribeOptions(ack_mode=AckMode.AUTO))
    _deliver(broker, delivered(1, b"a"))
    _deliver(broker, delivered(2, b"b", offset=1))
    broker.push(SubscriptionClosed(subscription_id=_subscription_id(broker), reason=CloseReason.DELETED, message=""))
    await broker.wait_for(lambda: subscription.end_reason is not None)
    received = []
    with pytest.raises(SubscriptionEndedError):
        async for delivery in subscription:
            received.append(delivery.payload)
    assert received == [b"a", b"b"]


async def test_closing_the_subscription_ends_iteration_quietly(broker: FakeBroker, client: SinewClient) -> None:
    _queue(broker, partitions=2)
    subscription = await client.subscribe("orders")
    received = []

    async def consume() -> None:
        async for delivery in subscription:
            received.append(delivery)

    consumer = asyncio.ensure_future(consume())
    await asyncio.sleep(0.01)
    await subscription.close()
    await asyncio.wait_for(consumer, 1)
    assert received == []
    unsubscribed = {m.subscription_id for m in broker.messages(Unsubscribe)}
    assert len(broker.messages(Unsubscribe)) == 2
    assert unsubscribed == {_subscription_id(broker, 0), _subscription_id(broker, 1)}
    with pytest.raises(ClientClosedError):
        await subscription.receive()
    await subscription.close()  # idempotent


async def test_a_partial_subscribe_failure_unsubscribes_what_succeeded(broker: FakeBroker, client: SinewClient) -> None:
    _queue(broker, partitions=3)

    def fail_second(frame):  # type: ignore[no-untyped-def]
        if frame.message.partition == 1:
            return error(ERROR_RESOURCE_EXHAUSTED, "too many subscriptions", retryable=True)
        return subscribe_ok(frame)

    broker.answer(Subscribe, fail_second)
    with pytest.raises(BrokerError) as caught:
        await client.subscribe("orders")
    assert caught.value.code == "resource_exhausted"
    await broker.wait_for(lambda: len(broker.messages(Unsubscribe)) == 2)
    accepted = {_subscription_id(broker, 0), _subscription_id(broker, 2)}
    assert {m.subscription_id for m in broker.messages(Unsubscribe)} == accepted


async def test_a_subscribe_answered_after_its_timeout_is_undone(broker: FakeBroker) -> None:
    _queue(broker)
    async with SinewClient.connect(options_for(broker, request_timeout=0.1)) as client:
        broker.answer(Subscribe, lambda frame: None)  # answered late, below
        with pytest.raises(OperationTimeoutError):
            await client.subscribe("orders", SubscribeOptions(partition=0))
        subscribed = await broker.next_frame(Subscribe)
        broker.reply(subscribed, subscribe_ok(subscribed))
        await broker.wait_for(lambda: bool(broker.messages(Unsubscribe)))
        assert [m.subscription_id for m in broker.messages(Unsubscribe)] == [subscribed.request_id]


async def test_settlements_take_effect_at_the_call_without_being_awaited(
    broker: FakeBroker, client: SinewClient
) -> None:
    _queue(broker)
    async with client.subscribe("orders") as subscription:
        _deliver(broker, delivered(1, b"a"))
        delivery = await subscription.receive(timeout=2)
        answer = delivery.ack()
        assert delivery.is_settled
        with pytest.raises(InvalidArgumentError) as caught:
            delivery.retry()
        assert caught.value.reason == "already_settled"
        await broker.wait_for(lambda: len(broker.messages(Ack)) == 1)
        await answer


async def test_a_settlement_failure_nobody_awaits_is_not_reported_as_unretrieved(
    broker: FakeBroker, client: SinewClient
) -> None:
    _queue(broker)
    loop = asyncio.get_running_loop()
    reported: list[dict[str, object]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _, context: reported.append(context))
    try:
        async with client.subscribe("orders") as subscription:
            _deliver(broker, delivered(1, b"a"))
            delivery = await subscription.receive(timeout=2)
            # Its lease ran out at the broker, which answers its settlement as stale.
            broker.answer(Ack, lambda frame: settle_ok(delivery.delivery_id))
            delivery.ack()  # the answer, a stale_delivery failure, is never awaited
            await broker.wait_for(lambda: len(broker.messages(Ack)) == 1)
            await asyncio.sleep(0.05)
        del delivery
        gc.collect()
    finally:
        loop.set_exception_handler(previous)
    assert reported == []


async def test_settlements_issued_together_leave_as_extend_lease_then_nack_frame_then_ack(
    broker: FakeBroker, client: SinewClient
) -> None:
    _queue(broker)
    async with client.subscribe("orders") as subscription:
        _deliver(broker, *_numbered(4))
        d = await _take(subscription, 4)
        await asyncio.gather(d[0].ack(), d[1].retry(), d[2].extend_lease(5), d[3].fail())
        await d[2].ack()
    kinds = [
        type(frame.message).__name__
        for _, frame in broker.received
        if isinstance(frame.message, Ack | Nack | ExtendLease)
    ]
    assert kinds == ["ExtendLease", "Nack", "Ack", "Ack"]
    assert all(
        frame.request_id != 0
        for _, frame in broker.received
        if isinstance(frame.message, Ack | Nack | ExtendLease)
    )


async def test_a_settlement_frame_carries_at_most_1024_items(broker: FakeBroker, client: SinewClient) -> None:
    _queue(broker)
    connection = client._core.connection
    assert connection is not None
    answers = [connection.settler.ack(delivery_id) for delivery_id in range(1, 1026)]
    await asyncio.gather(*answers, return_exceptions=True)
    acks = [message for message in broker.messages(Ack) if isinstance(message, Ack)]
    assert [len(ack.delivery_ids) for ack in acks] == [1024, 1]


async def test_with_manual_ack_deliveries_not_handed_out_are_dropped_when_the_subscription_ends(
    broker: FakeBroker, client: SinewClient
) -> None:
    _queue(broker, partitions=2)
    subscription = await client.subscribe("orders")
    _deliver(broker, delivered(1, b"a", partition=0), partition=0)
    _deliver(broker, delivered(2, b"b", partition=1), partition=1)
    await broker.wait_for(lambda: subscription.buffered == 2)
    broker.push(SubscriptionClosed(
        subscription_id=_subscription_id(broker, 0), reason=CloseReason.SERVER_SHUTDOWN, message=""
    ))
    await broker.wait_for(lambda: subscription.end_reason is not None)
    with pytest.raises(SubscriptionEndedError) as caught:
        await subscription.receive(timeout=2)
    assert caught.value.reason == SubscriptionEndReason.SERVER_SHUTDOWN
    assert subscription.buffered == 0
    # The other partition was unsubscribed, so the broker holds nothing for this session.
    await broker.wait_for(lambda: bool(broker.messages(Unsubscribe)))
    assert [m.subscription_id for m in broker.messages(Unsubscribe)] == [_subscription_id(broker, 1)]


async def test_a_pending_request_keeps_reading_until_its_reply_then_pausing_resumes(
    broker: FakeBroker, client: SinewClient
) -> None:
    _queue(broker)
    subscription = await client.subscribe("orders", SubscribeOptions(ack_mode=AckMode.AUTO, prefetch=1))
    connection = client._core.connection
    assert connection is not None
    _deliver(broker, delivered(1, b"a"))
    await broker.wait_for(lambda: connection.is_reading_paused)
    # The answer is held, so the pending state can be seen.
    broker.answer(TopologyRequest, lambda frame: None)
    topology_reply = asyncio.ensure_future(client.topology())
    await broker.wait_for(lambda: connection.pending_requests == 1)
    # The request is pending: the socket is read even though the consumer is behind.
    assert not connection.is_reading_paused
    requested = await broker.next_frame(TopologyRequest)
    broker.reply(requested, topology(("orders", 1)))
    await asyncio.wait_for(topology_reply, 1.0)
    assert connection.is_reading_paused
    await subscription.close()
    assert not connection.is_reading_paused
