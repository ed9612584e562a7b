"""Subscriptions: fan-in over partitions, settlement (batched, per delivery, exactly once),
auto-ack, prefetch, payload helpers, and every way a subscription can end.

A subscription cut off with its connection, and unsettled deliveries returning when a
subscription closes, run against the real broker (tests/broker/)."""

from __future__ import annotations

import asyncio
import gc
from datetime import datetime, timezone

import msgpack
import pytest
from collections.abc import AsyncIterator
from support.queue_model_broker import FakeBroker

from sinew import (
    AckMode,
    BrokerError,
    ClientClosedError,
    Delivery,
    InvalidArgumentError,
    OperationTimeoutError,
    OutgoingMessage,
    SinewClient,
    SubscribeOptions,
    Subscription,
    SubscriptionEndedError,
    SubscriptionEndReason,
)
from sinew.wire import Ack, CloseReason, Deliver, DeliveredMessage, ExtendLease, Nack, Opcode, Subscribe, Unsubscribe


async def _take(subscription: Subscription, count: int) -> list[Delivery]:
    return [await subscription.next(timeout=2) for _ in range(count)]


async def test_a_subscription_fans_in_every_partition(broker: FakeBroker, client: SinewClient) -> None:
    broker.add_queue("orders", partitions=3)
    for partition in range(3):
        broker.store("orders", f"p{partition}".encode(), partition=partition)
    async with client.subscribe("orders") as subscription:
        assert subscription.partitions == (0, 1, 2)
        deliveries = await _take(subscription, 3)
    assert sorted((d.partition, d.payload) for d in deliveries) == [(0, b"p0"), (1, b"p1"), (2, b"p2")]
    subscribes = broker.messages(Subscribe)
    assert [s.partition for s in subscribes if isinstance(s, Subscribe)] == [0, 1, 2]


async def test_each_delivery_settles_on_its_own_partition_subscription(broker: FakeBroker, client: SinewClient) -> None:
    broker.add_queue("orders", partitions=2)
    broker.store("orders", b"a", partition=0)
    broker.store("orders", b"b", partition=1)
    async with client.subscribe("orders") as subscription:
        deliveries = await _take(subscription, 2)
        by_partition = {d.partition: d for d in deliveries}
        await by_partition[1].ack()
        await by_partition[0].retry()
        redelivered = await subscription.next(timeout=2)
        with pytest.raises(OperationTimeoutError):
            await subscription.next(timeout=0.05)  # the acked one is gone for good
    (ack,) = broker.messages(Ack)
    (nack,) = broker.messages(Nack)
    assert isinstance(ack, Ack) and ack.delivery_ids == (by_partition[1].delivery_id,)
    assert isinstance(nack, Nack) and [i.delivery_id for i in nack.items] == [by_partition[0].delivery_id]
    assert (redelivered.partition, redelivered.attempt, redelivered.payload) == (0, 2, b"a")


async def test_a_single_partition_can_be_consumed(broker: FakeBroker, client: SinewClient) -> None:
    broker.add_queue("orders", partitions=4)
    broker.store("orders", b"x", partition=2)
    broker.store("orders", b"y", partition=3)
    async with client.subscribe("orders", SubscribeOptions(partition=2)) as subscription:
        assert subscription.partitions == (2,)
        assert (await subscription.next(timeout=2)).payload == b"x"
        with pytest.raises(OperationTimeoutError):
            await subscription.next(timeout=0.05)


async def test_prefetch_and_ack_mode_are_passed_through(broker: FakeBroker, client: SinewClient) -> None:
    broker.add_queue("orders", partitions=2)
    async with client.subscribe("orders", SubscribeOptions(prefetch=7, ack_mode=AckMode.AUTO)):
        pass
    sent = [m for m in broker.messages(Subscribe) if isinstance(m, Subscribe)]
    assert [(s.prefetch, s.ack_mode) for s in sent] == [(7, AckMode.AUTO)] * 2


async def test_manual_ack_holds_no_more_than_prefetch(broker: FakeBroker, client: SinewClient) -> None:
    broker.add_queue("orders")
    for n in range(5):
        broker.store("orders", bytes([n]))
    async with client.subscribe("orders", SubscribeOptions(prefetch=2)) as subscription:
        first = await _take(subscription, 2)
        with pytest.raises(OperationTimeoutError):
            await subscription.next(timeout=0.05)
        await first[0].ack()
        assert (await subscription.next(timeout=2)).payload == bytes([2])


async def test_a_prefetch_above_the_broker_limit_is_refused(broker: FakeBroker, client: SinewClient) -> None:
    broker.add_queue("orders")
    with pytest.raises(InvalidArgumentError) as caught:
        await client.subscribe("orders", SubscribeOptions(prefetch=65_536))
    assert caught.value.argument == "prefetch"
    assert broker.messages(Subscribe) == []


async def test_auto_ack_deliveries_cannot_be_settled(broker: FakeBroker, client: SinewClient) -> None:
    broker.add_queue("orders")
    broker.store("orders", b"x")
    async with client.subscribe("orders", SubscribeOptions(ack_mode=AckMode.AUTO)) as subscription:
        delivery = await subscription.next(timeout=2)
        assert delivery.is_settled
        for settle in (delivery.ack, delivery.retry, delivery.nack, delivery.extend_lease):
            with pytest.raises(InvalidArgumentError) as caught:
                await settle()
            assert caught.value.reason == "auto_ack"
    assert broker.messages(Ack) == [] and broker.messages(Nack) == []


async def test_settling_twice_is_refused_without_sending(broker: FakeBroker, client: SinewClient) -> None:
    broker.add_queue("orders")
    broker.store("orders", b"x")
    async with client.subscribe("orders") as subscription:
        delivery = await subscription.next(timeout=2)
        await delivery.ack()
        for settle in (delivery.ack, delivery.nack, delivery.retry, delivery.extend_lease):
            with pytest.raises(InvalidArgumentError) as caught:
                await settle()
            assert caught.value.reason == "already_settled"
        with pytest.raises(InvalidArgumentError):
            await delivery.retry_after(1)
    assert len(broker.messages(Ack)) == 1 and broker.messages(Nack) == []


async def test_settlements_in_one_loop_iteration_share_one_frame_per_kind(broker: FakeBroker, client: SinewClient) -> None:
    broker.add_queue("orders")
    for n in range(6):
        broker.store("orders", bytes([n]))
    async with client.subscribe("orders") as subscription:
        d = await _take(subscription, 6)
        await asyncio.gather(
            d[0].ack(), d[1].ack(), d[2].ack(), d[3].nack("bad"), d[4].retry(), d[5].retry_after(1.5)
        )
    (ack,) = broker.messages(Ack)
    (nack,) = broker.messages(Nack)
    assert isinstance(ack, Ack) and ack.delivery_ids == tuple(x.delivery_id for x in d[:3])
    assert isinstance(nack, Nack)
    assert [(i.requeue, i.reason, i.delay_ms) for i in nack.items] == [
        (False, "bad", None),
        (True, None, None),
        (True, None, 1500),
    ]


async def test_a_stale_delivery_fails_only_its_own_settlement(broker: FakeBroker, client: SinewClient) -> None:
    broker.add_queue("orders")
    broker.store("orders", b"a")
    broker.store("orders", b"b")
    async with client.subscribe("orders") as subscription:
        first, second = await _take(subscription, 2)
        del broker.session.deliveries[first.delivery_id]  # its lease ran out at the broker
        results = await asyncio.gather(first.ack(), second.ack(), return_exceptions=True)
    assert isinstance(results[0], BrokerError)
    assert results[0].code == "stale_delivery" and results[0].details["delivery_id"] == str(first.delivery_id)
    assert results[1] is None
    assert len(broker.messages(Ack)) == 1


async def test_a_lease_extension_sends_its_length_and_leaves_the_delivery_unsettled(
    broker: FakeBroker, client: SinewClient
) -> None:
    broker.add_queue("orders")
    broker.store("orders", b"a")
    async with client.subscribe("orders") as subscription:
        delivery = await subscription.next(timeout=2)
        await delivery.extend_lease(45)
        await delivery.extend_lease()
        assert not delivery.is_settled
        await delivery.ack()
    extensions = [m for m in broker.messages(ExtendLease) if isinstance(m, ExtendLease)]
    assert [item.extend_ms for m in extensions for item in m.items] == [45_000, None]


async def test_a_nack_reason_is_limited_to_1024_bytes(broker: FakeBroker, client: SinewClient) -> None:
    broker.add_queue("orders")
    broker.store("orders", b"a")
    async with client.subscribe("orders") as subscription:
        delivery = await subscription.next(timeout=2)
        with pytest.raises(InvalidArgumentError):
            await delivery.nack("x" * 1025)
        assert not delivery.is_settled  # refused before anything was claimed or sent
        await delivery.nack("x" * 1024)


async def test_deliveries_expose_metadata_and_payload_helpers(broker: FakeBroker, client: SinewClient) -> None:
    broker.add_queue("orders", group="eu")
    broker.store("orders", b'{"id":1}', group="eu", headers={"tenant": "acme"}, content_type="application/json")
    broker.store("orders", msgpack.packb({"n": 2}), group="eu")
    async with client.subscribe("orders", SubscribeOptions(group="eu")) as subscription:
        as_json, as_msgpack = await _take(subscription, 2)
    assert as_json.json() == {"id": 1} and as_json.text() == '{"id":1}'
    assert as_json.content_type == "application/json"
    assert dict(as_json.headers) == {"tenant": "acme"}
    assert (as_json.topic, as_json.group, as_json.partition, as_json.offset, as_json.attempt) == (
        "orders", "eu", 0, 0, 1,
    )
    assert as_json.published_at == datetime.fromtimestamp(1_700_000_000, tz=timezone.utc)
    assert as_json.delivery_id >= 1
    assert as_msgpack.msgpack() == {"n": 2}
    assert as_msgpack.headers == {}


async def test_text_replaces_bytes_that_are_not_utf8_and_the_payload_keeps_them(
    broker: FakeBroker, client: SinewClient
) -> None:
    # A stray byte, a sequence cut short, an encoded surrogate and an overlong form: each
    # maximal invalid subpart becomes one U+FFFD, as TextDecoder and .NET's decoder do.
    payload = b"ok\xff \xf0\x9f\x98! \xed\xa0\x80 \xc0\xaf"
    broker.add_queue("orders")
    broker.store("orders", payload, content_type="text/plain; charset=utf-8")
    async with client.subscribe("orders") as subscription:
        delivery = await subscription.next(timeout=2)
    assert delivery.text() == "ok\ufffd \ufffd! \ufffd\ufffd\ufffd \ufffd\ufffd"
    assert delivery.payload == payload
    with pytest.raises(UnicodeDecodeError):
        delivery.payload.decode("utf-8")


@pytest.mark.parametrize("reason", list(CloseReason), ids=lambda reason: reason.name.lower())
async def test_a_broker_close_ends_iteration_with_its_reason(
    broker: FakeBroker, client: SinewClient, reason: CloseReason
) -> None:
    broker.add_queue("orders", partitions=2)
    subscription = await client.subscribe("orders")
    first_id = min(broker.session.subscriptions)
    broker.close_subscription(first_id, reason, "because")
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
    assert broker.session.subscriptions == {}
    # Ending is sticky: the next call raises again.
    with pytest.raises(SubscriptionEndedError):
        await subscription.next(timeout=1)


async def test_deliveries_that_arrived_before_the_end_are_handed_out_first(broker: FakeBroker, client: SinewClient) -> None:
    broker.add_queue("orders")
    subscription = await client.subscribe("orders", SubscribeOptions(ack_mode=AckMode.AUTO))
    broker.store("orders", b"a")
    broker.store("orders", b"b")
    broker.close_subscription(min(broker.session.subscriptions), CloseReason.DELETED)
    await broker.wait_for(lambda: subscription.end_reason is not None)
    received = []
    with pytest.raises(SubscriptionEndedError):
        async for delivery in subscription:
            received.append(delivery.payload)
    assert received == [b"a", b"b"]


async def test_closing_the_client_ends_iteration_with_client_closed(broker: FakeBroker, client: SinewClient) -> None:
    broker.add_queue("orders")
    subscription = await client.subscribe("orders")
    waiting = asyncio.ensure_future(subscription.next(timeout=5))
    await asyncio.sleep(0.01)
    await client.close()
    with pytest.raises(SubscriptionEndedError) as caught:
        await waiting
    assert caught.value.reason == SubscriptionEndReason.CLIENT_CLOSED and not caught.value.is_retryable


async def test_closing_the_subscription_ends_iteration_quietly(broker: FakeBroker, client: SinewClient) -> None:
    broker.add_queue("orders", partitions=2)
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
    assert len(broker.messages(Unsubscribe)) == 2 and broker.session.subscriptions == {}
    with pytest.raises(ClientClosedError):
        await subscription.next()
    await subscription.close()  # idempotent


async def test_subscribing_to_a_missing_queue_raises_not_found(broker: FakeBroker, client: SinewClient) -> None:
    with pytest.raises(BrokerError) as caught:
        await client.subscribe("missing")
    assert caught.value.code == "not_found"


async def test_a_partial_subscribe_failure_unsubscribes_what_succeeded(broker: FakeBroker, client: SinewClient) -> None:
    broker.add_queue("orders", partitions=3)
    original = broker._subscribe

    def fail_second(session, request_id, message):  # type: ignore[no-untyped-def]
        if message.partition == 1:
            session.error(request_id, 12, "too many subscriptions", retryable=True)
        else:
            original(session, request_id, message)

    broker._subscribe = fail_second  # type: ignore[method-assign]
    with pytest.raises(BrokerError) as caught:
        await client.subscribe("orders")
    assert caught.value.code == "resource_exhausted"
    await broker.wait_for(lambda: len(broker.messages(Unsubscribe)) == 2)
    assert broker.session.subscriptions == {}


async def test_a_subscribe_answered_after_its_timeout_is_undone(broker: FakeBroker) -> None:
    from support.options import options_for

    from sinew.wire import Opcode

    broker.add_queue("orders")
    async with SinewClient.connect(options_for(broker, request_timeout=0.1)) as client:
        broker.delays[Opcode.SUBSCRIBE] = 0.2
        with pytest.raises(OperationTimeoutError):
            await client.subscribe("orders", SubscribeOptions(partition=0))
        await broker.wait_for(lambda: bool(broker.messages(Unsubscribe)))
        assert broker.session.subscriptions == {}


async def test_settlements_take_effect_at_the_call_without_being_awaited(
    broker: FakeBroker, client: SinewClient
) -> None:
    broker.add_queue("orders")
    broker.store("orders", b"a")
    async with client.subscribe("orders") as subscription:
        delivery = await subscription.next(timeout=2)
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
    broker.add_queue("orders")
    broker.store("orders", b"a")
    loop = asyncio.get_running_loop()
    reported: list[dict[str, object]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _, context: reported.append(context))
    try:
        async with client.subscribe("orders") as subscription:
            delivery = await subscription.next(timeout=2)
            del broker.session.deliveries[delivery.delivery_id]  # its lease ran out at the broker
            delivery.ack()  # the answer, a stale_delivery failure, is never awaited
            await broker.wait_for(lambda: len(broker.messages(Ack)) == 1)
            await asyncio.sleep(0.05)
        del delivery
        gc.collect()
    finally:
        loop.set_exception_handler(previous)
    assert reported == []


async def test_settlements_issued_together_leave_as_extend_lease_then_nack_then_ack(
    broker: FakeBroker, client: SinewClient
) -> None:
    broker.add_queue("orders")
    for n in range(4):
        broker.store("orders", bytes([n]))
    async with client.subscribe("orders") as subscription:
        d = await _take(subscription, 4)
        await asyncio.gather(d[0].ack(), d[1].retry(), d[2].extend_lease(5), d[3].nack())
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
    connection = client._core.connection
    assert connection is not None
    answers = [connection.settler.ack(delivery_id) for delivery_id in range(1, 1026)]
    await asyncio.gather(*answers, return_exceptions=True)
    acks = [message for message in broker.messages(Ack) if isinstance(message, Ack)]
    assert [len(ack.delivery_ids) for ack in acks] == [1024, 1]


async def test_with_manual_ack_deliveries_not_handed_out_are_dropped_when_the_subscription_ends(
    broker: FakeBroker, client: SinewClient
) -> None:
    broker.add_queue("orders", partitions=2)
    subscription = await client.subscribe("orders")
    broker.store("orders", b"a", partition=0)
    broker.store("orders", b"b", partition=1)
    await broker.wait_for(lambda: subscription.buffered == 2)
    broker.close_subscription(min(broker.session.subscriptions), CloseReason.SERVER_SHUTDOWN)
    await broker.wait_for(lambda: subscription.end_reason is not None)
    with pytest.raises(SubscriptionEndedError) as caught:
        await subscription.next(timeout=2)
    assert caught.value.reason == SubscriptionEndReason.SERVER_SHUTDOWN
    assert subscription.buffered == 0
    # The other partition was unsubscribed, so the broker holds nothing for this session.
    await broker.wait_for(lambda: not broker.session.deliveries and not broker.session.subscriptions)


async def test_with_auto_ack_a_client_close_drops_what_was_not_handed_out(broker: FakeBroker, client: SinewClient) -> None:
    broker.add_queue("orders")
    subscription = await client.subscribe("orders", SubscribeOptions(ack_mode=AckMode.AUTO))
    broker.store("orders", b"a")
    await broker.wait_for(lambda: subscription.buffered == 1)
    await client.close()
    with pytest.raises(SubscriptionEndedError) as caught:
        await subscription.next(timeout=1)
    assert caught.value.reason == SubscriptionEndReason.CLIENT_CLOSED


async def test_an_auto_ack_subscription_pauses_reading_while_its_buffer_is_full(
    broker: FakeBroker, client: SinewClient
) -> None:
    broker.add_queue("orders")
    subscription = await client.subscribe("orders", SubscribeOptions(ack_mode=AckMode.AUTO, prefetch=4))
    connection = client._core.connection
    assert connection is not None
    for n in range(12):
        broker.store("orders", bytes([n]))
    await broker.wait_for(lambda: connection.is_reading_paused)
    assert subscription.buffered >= 4
    received = [(await subscription.next(timeout=2)).payload for _ in range(12)]
    assert received == [bytes([n]) for n in range(12)]
    assert not connection.is_reading_paused
    await subscription.close()


async def test_a_reply_is_never_held_behind_a_paused_socket(broker: FakeBroker, client: SinewClient) -> None:
    broker.add_queue("orders")
    broker.add_queue("audit")
    subscription = await client.subscribe("orders", SubscribeOptions(ack_mode=AckMode.AUTO, prefetch=2))
    connection = client._core.connection
    assert connection is not None
    for n in range(4):
        broker.store("orders", bytes([n]))
    await broker.wait_for(lambda: connection.is_reading_paused)
    # Deliveries the client has not read sit in front of the reply to come.
    for n in range(4, 64):
        broker.store("orders", bytes([n]))
    publisher = client.create_publisher("audit")
    # Well inside the request timeout: a reply held back would only end with it.
    receipt = await asyncio.wait_for(publisher.publish(OutgoingMessage(b"x")), 1.0)
    assert receipt.offset == 0
    # Once the reply is in, the consumer that is behind holds the socket again.
    assert connection.is_reading_paused and connection.pending_requests == 0
    received = [(await subscription.next(timeout=2)).payload for _ in range(64)]
    assert received == [bytes([n]) for n in range(64)]
    assert not connection.is_reading_paused
    await subscription.close()


async def test_a_pending_request_keeps_reading_until_its_reply_then_pausing_resumes(
    broker: FakeBroker, client: SinewClient
) -> None:
    broker.add_queue("orders")
    subscription = await client.subscribe("orders", SubscribeOptions(ack_mode=AckMode.AUTO, prefetch=1))
    connection = client._core.connection
    assert connection is not None
    broker.store("orders", b"a")
    await broker.wait_for(lambda: connection.is_reading_paused)
    # The answer comes late, so the pending state can be seen.
    broker.delays[Opcode.TOPOLOGY_REQUEST] = 0.2
    topology = asyncio.ensure_future(client.topology())
    await broker.wait_for(lambda: connection.pending_requests == 1)
    # The request is pending: the socket is read even though the consumer is behind.
    assert not connection.is_reading_paused
    await asyncio.wait_for(topology, 1.0)
    assert connection.is_reading_paused
    await subscription.close()
    assert not connection.is_reading_paused


async def test_reading_resumes_at_half_the_pause_threshold(broker: FakeBroker, client: SinewClient) -> None:
    broker.add_queue("orders", partitions=2)
    subscription = await client.subscribe("orders", SubscribeOptions(ack_mode=AckMode.AUTO, prefetch=3))
    connection = client._core.connection
    assert connection is not None
    # Two broker subscriptions of prefetch 3: reading pauses at 6 buffered, resumes at 3.
    for n in range(6):
        subscription._feed.deliver(1, _deliver_frame(n).messages)
    assert connection.is_reading_paused
    for expected_buffered in (5, 4):
        await subscription.next(timeout=1)
        assert subscription.buffered == expected_buffered and connection.is_reading_paused
    await subscription.next(timeout=1)
    assert subscription.buffered == 3 and not connection.is_reading_paused
    await subscription.close()


async def test_manual_ack_subscriptions_never_pause_reading(broker: FakeBroker, client: SinewClient) -> None:
    broker.add_queue("orders")
    subscription = await client.subscribe("orders", SubscribeOptions(prefetch=1))
    for n in range(3):
        subscription._feed.deliver(1, _deliver_frame(n).messages)
    connection = client._core.connection
    assert connection is not None and not connection.is_reading_paused
    await subscription.close()


def _deliver_frame(number: int) -> Deliver:
    return Deliver(
        subscription_id=1,
        messages=(
            DeliveredMessage(
                delivery_id=1000 + number, partition=0, offset=number, attempt=1,
                published_at_ms=0, payload=bytes([number]),
            ),
        ),
    )


@pytest.fixture
async def broker() -> AsyncIterator[FakeBroker]:
    # Transitional: the queue-model fake until this module is rewritten.
    fake = await FakeBroker().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def client(broker: FakeBroker) -> AsyncIterator[SinewClient]:
    from support.options import options_for

    connected = await SinewClient.connect(options_for(broker))
    yield connected
    await connected.close()
