"""What the client says it handed to the application when it gives deliveries back: the
`handed_out` list of each `Unsubscribe` and of the client's `Goodbye` (spec 4.6, 8.5). The
broker counts a failure only for the deliveries listed, so the list must hold exactly the
manual-ack deliveries that `receive` or the iterator returned and that are not settled:
never a prefetched one still in the buffer, never a settled or stale one, nothing from an
auto-ack subscription or from an earlier session. An empty list (nothing seen) differs from
an absent one (count them all), so it is always sent.

The fake broker records the frames exactly; a real broker can only show their effect on the
counts (tests/broker/test_broker_failures.py)."""

from __future__ import annotations

import asyncio

from support.fake_broker import FakeBroker
from support.options import options_for
from support.scripted_frames import (
    answer_hello_with,
    deliver,
    delivered,
    hello_ok,
    limits,
    ok,
    settle_ok,
    subscribe_ok,
    topology,
)

import sinew.blocking as blocking
from sinew import AckMode, SinewClient, SubscribeOptions, Subscription
from sinew.wire import (
    Ack,
    CloseReason,
    DeliveredMessage,
    ExtendLease,
    Goodbye,
    Nack,
    Opcode,
    Subscribe,
    SubscriptionClosed,
    TopologyRequest,
    Unsubscribe,
)


def _orders(broker: FakeBroker, partitions: int = 1) -> FakeBroker:
    """Scripts `orders` with `partitions` partitions, accepting subscribing, unsubscribing
    and every settlement."""
    broker.answer(TopologyRequest, lambda frame: topology(("orders", partitions)))
    broker.answer(Subscribe, subscribe_ok)
    broker.answer(Unsubscribe, lambda frame: ok())
    for settlement in (Ack, Nack, ExtendLease):
        broker.answer(settlement, lambda frame: settle_ok())
    return broker


def _push(broker: FakeBroker, *messages: DeliveredMessage, partition: int = 0, subscription: int = -1) -> None:
    """One `Deliver` frame to the latest subscription to `partition`."""
    ids = [frame.request_id for frame in broker.frames(Subscribe)
           if isinstance(frame.message, Subscribe) and (frame.message.partition or 0) == partition]
    broker.push(deliver(ids[subscription], *messages))


def _numbered(*delivery_ids: int, partition: int = 0) -> list[DeliveredMessage]:
    return [delivered(n, partition=partition, offset=n) for n in delivery_ids]


async def _take(subscription: Subscription, count: int) -> list[int]:
    return [(await subscription.receive(timeout=2)).delivery_id for _ in range(count)]


def _unsubscribes(broker: FakeBroker) -> dict[int, tuple[int, ...] | None]:
    return {message.subscription_id: message.handed_out for message in broker.messages(Unsubscribe)}


async def test_only_received_deliveries_are_listed_not_those_still_buffered(broker: FakeBroker, client: SinewClient) -> None:
    _orders(broker)
    subscription = await client.subscribe("orders", SubscribeOptions(prefetch=5))
    _push(broker, *_numbered(1, 2, 3, 4, 5))
    assert await _take(subscription, 2) == [1, 2]
    assert subscription.buffered == 3
    await subscription.close()
    (unsubscribe,) = broker.messages(Unsubscribe)
    assert unsubscribe.handed_out == (1, 2)


async def test_settled_deliveries_are_no_longer_listed(broker: FakeBroker, client: SinewClient) -> None:
    _orders(broker)
    subscription = await client.subscribe("orders")
    _push(broker, *_numbered(1, 2, 3, 4, 5, 6))
    acked, failed, retried, delayed, extended, held = [await subscription.receive(timeout=2) for _ in range(6)]
    await asyncio.gather(
        acked.ack(), failed.fail("bad"), retried.retry(), delayed.retry_after(1), extended.extend_lease(5)
    )
    await subscription.close()
    (unsubscribe,) = broker.messages(Unsubscribe)
    # Extending a lease keeps the delivery: the application still holds it.
    assert unsubscribe.handed_out == (extended.delivery_id, held.delivery_id)


async def test_a_delivery_the_broker_reports_stale_is_no_longer_listed(broker: FakeBroker, client: SinewClient) -> None:
    _orders(broker)
    broker.answer(ExtendLease, lambda frame: settle_ok(1))
    subscription = await client.subscribe("orders")
    _push(broker, *_numbered(1, 2))
    expired, held = [await subscription.receive(timeout=2) for _ in range(2)]
    results = await asyncio.gather(expired.extend_lease(5), held.extend_lease(5), return_exceptions=True)
    assert [getattr(result, "code", None) for result in results] == ["stale_delivery", None]
    await subscription.close()
    assert _unsubscribes(broker) == {broker.frames(Subscribe)[0].request_id: (2,)}


async def test_a_subscription_that_handed_nothing_out_sends_an_empty_list_not_none(
    broker: FakeBroker, client: SinewClient
) -> None:
    _orders(broker)
    subscription = await client.subscribe("orders")
    _push(broker, *_numbered(1, 2))
    await broker.wait_for(lambda: subscription.buffered == 2)
    await subscription.close()
    (unsubscribe,) = broker.messages(Unsubscribe)
    assert unsubscribe.handed_out == ()
    assert unsubscribe.handed_out is not None


async def test_auto_ack_subscriptions_hold_nothing(broker: FakeBroker, client: SinewClient) -> None:
    _orders(broker)
    subscription = await client.subscribe("orders", SubscribeOptions(ack_mode=AckMode.AUTO))
    _push(broker, *_numbered(1, 2))
    assert await _take(subscription, 2) == [1, 2]
    await subscription.close()
    assert [message.handed_out for message in broker.messages(Unsubscribe)] == [()]


async def test_each_partition_subscription_lists_its_own_deliveries(broker: FakeBroker, client: SinewClient) -> None:
    _orders(broker, partitions=2)
    subscription = await client.subscribe("orders")
    first, second = (frame.request_id for frame in broker.frames(Subscribe))
    _push(broker, *_numbered(1, 3), partition=0)
    await broker.wait_for(lambda: subscription.buffered == 2)
    _push(broker, *_numbered(2, 4, 5), partition=1)
    await broker.wait_for(lambda: subscription.buffered == 5)
    assert await _take(subscription, 4) == [1, 3, 2, 4]
    await subscription.close()
    assert _unsubscribes(broker) == {first: (1, 3), second: (2, 4)}


async def test_when_the_broker_ends_one_partition_the_others_list_what_they_handed_out(
    broker: FakeBroker, client: SinewClient
) -> None:
    _orders(broker, partitions=2)
    subscription = await client.subscribe("orders")
    first, second = (frame.request_id for frame in broker.frames(Subscribe))
    _push(broker, *_numbered(1), partition=0)
    _push(broker, *_numbered(2), partition=1)
    assert sorted(await _take(subscription, 2)) == [1, 2]
    broker.push(SubscriptionClosed(subscription_id=first, reason=CloseReason.DELETED, message=""))
    await broker.wait_for(lambda: bool(broker.messages(Unsubscribe)))
    # The ended one was returned by the broker itself; only the other is unsubscribed.
    assert _unsubscribes(broker) == {second: (2,)}


async def test_a_settlement_issued_just_before_closing_leaves_before_the_unsubscribe(
    broker: FakeBroker, client: SinewClient
) -> None:
    _orders(broker)
    subscription = await client.subscribe("orders")
    _push(broker, *_numbered(1))
    delivery = await subscription.receive(timeout=2)
    settled = delivery.ack()  # not awaited: the close must not overtake it
    await subscription.close()
    await settled
    ops = [frame.opcode for _, frame in broker.received if frame.opcode in (Opcode.ACK, Opcode.UNSUBSCRIBE)]
    assert ops == [Opcode.ACK, Opcode.UNSUBSCRIBE]
    assert broker.messages(Unsubscribe)[0].handed_out == ()


async def test_goodbye_lists_the_handed_out_deliveries_of_every_subscription(broker: FakeBroker) -> None:
    _orders(broker)
    client = await SinewClient.connect(options_for(broker))
    one = await client.subscribe("orders", SubscribeOptions(partition=0))
    two = await client.subscribe("orders", SubscribeOptions(partition=0))
    _push(broker, *_numbered(1, 2), subscription=0)
    _push(broker, *_numbered(3, 4), subscription=1)
    await _take(one, 1)
    await _take(two, 2)
    retried = await one.receive(timeout=2)
    retried.retry()  # settled at the call: not listed even though its answer is pending
    await client.close()
    (goodbye,) = broker.messages(Goodbye)
    assert sorted(goodbye.handed_out or ()) == [1, 3, 4]
    # The subscriptions' own Unsubscribe frames leave first and list the same deliveries.
    assert sorted(_unsubscribes(broker).values()) == [(1,), (3, 4)]
    ops = [frame.opcode for _, frame in broker.received]
    assert ops.index(Opcode.NACK) < ops.index(Opcode.UNSUBSCRIBE) and ops[-1] == Opcode.GOODBYE


async def test_goodbye_without_subscriptions_sends_an_empty_list(broker: FakeBroker) -> None:
    client = await SinewClient.connect(options_for(broker))
    await client.close()
    (goodbye,) = broker.messages(Goodbye)
    assert goodbye.handed_out == ()


async def test_the_lists_are_cut_at_the_brokers_list_limit() -> None:
    broker = _orders(await FakeBroker(handshake=answer_hello_with(hello_ok(limits=limits(max_list_items=2)))).start())
    try:
        client = await SinewClient.connect(options_for(broker))
        subscription = await client.subscribe("orders")
        _push(broker, *_numbered(1, 2, 3))
        await _take(subscription, 3)
        await client.close()
        assert [message.handed_out for message in broker.messages(Unsubscribe)] == [(1, 2)]
        assert [message.handed_out for message in broker.messages(Goodbye)] == [(1, 2)]
    finally:
        await broker.stop()


async def test_a_new_session_does_not_list_the_deliveries_of_the_one_that_was_lost(
    broker: FakeBroker, client: SinewClient
) -> None:
    _orders(broker)
    lost = await client.subscribe("orders")
    _push(broker, *_numbered(1, 2))
    await _take(lost, 2)
    broker.drop_connections()
    await broker.wait_for(lambda: not client.is_connected)
    await lost.close()
    renewed = await client.subscribe("orders")  # reconnects: a new session
    _push(broker, *_numbered(1))  # delivery ids start again in a new session
    await broker.wait_for(lambda: renewed.buffered == 1)
    await client.close()
    # Nothing reached the lost connection after it dropped; the new session saw nothing.
    assert [message.handed_out for message in broker.messages(Unsubscribe)] == [()]
    assert [message.handed_out for message in broker.messages(Goodbye)] == [()]


async def test_the_blocking_facade_lists_what_it_handed_out(broker: FakeBroker) -> None:
    _orders(broker)
    broker_loop = asyncio.get_running_loop()

    def scenario() -> int:
        with blocking.SinewClient.connect(options_for(broker)) as client:
            with client.subscribe("orders") as subscription:
                broker_loop.call_soon_threadsafe(lambda: _push(broker, *_numbered(1, 2, 3)))
                taken = subscription.receive(timeout=2)
                next(iter(subscription)).ack()
                return taken.delivery_id

    assert await asyncio.to_thread(scenario) == 1
    assert [message.handed_out for message in broker.messages(Unsubscribe)] == [(1,)]
    assert [message.handed_out for message in broker.messages(Goodbye)] == [()]
