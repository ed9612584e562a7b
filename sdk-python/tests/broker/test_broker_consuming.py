"""Consuming from the real broker: manual and auto ack, prefetch, retries and delayed retries,
dead-lettering with its metadata, leases, and what closing a subscription gives back."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest
from support.integration import broker_options, dead_letters, take
from support.real_broker import RealBroker

from sinew import (
    AckMode,
    BrokerError,
    DeadLetterPolicy,
    InvalidArgumentError,
    OutgoingMessage,
    PublisherOptions,
    QueueOptions,
    SinewClient,
    SubscribeOptions,
)
from sinew.wire import Deliver

RETRY_DELAY = 0.4
CLOCK_SLACK = 0.005
"""Allowance for the broker's timer and this process's clock not ticking in step."""


async def _publish_texts(client: SinewClient, topic: str, *texts: str) -> None:
    await client.create_publisher(topic).publish_batch(OutgoingMessage.from_text(t) for t in texts)


async def test_an_acknowledged_message_is_gone_for_good(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name)
    await _publish_texts(client, queue_name, "a", "b")
    async with client.subscribe(queue_name) as subscription:
        first, second = await take(subscription, 2)
        assert not first.is_settled
        await first.ack()
        assert first.is_settled
    # The unacknowledged one comes back; the acknowledged one does not.
    async with client.subscribe(queue_name) as subscription:
        again = await subscription.receive(timeout=5)
        assert (again.text(), again.attempt) == ("b", 2)
        await again.ack()
        with pytest.raises(TimeoutError):
            await subscription.receive(timeout=0.2)
    assert second.text() == "b"


async def test_leaving_a_loop_early_keeps_the_subscription_and_the_next_loop_goes_on(
    client: SinewClient, queue_name: str, module_broker: RealBroker
) -> None:
    await client.declare_queue(queue_name)
    await _publish_texts(client, queue_name, "a", "b")
    subscription = await client.subscribe(queue_name)
    try:
        async for delivery in subscription:
            first = delivery
            await delivery.ack()
            break
        # Still subscribed: nothing was unsubscribed, nothing buffered was dropped, and what is
        # published now still arrives.
        assert subscription.is_active and subscription.end_reason is None
        await _publish_texts(client, queue_name, "c")
        texts = []
        async for delivery in subscription:
            texts.append(delivery.text())
            await delivery.ack()
            if len(texts) == 2:
                break
        assert [first.text(), *texts] == ["a", "b", "c"]
        assert subscription.is_active
        stats = module_broker.queue_stats(queue_name)["partition_stats"][0]
        assert (stats["inflight"], stats["ready"]) == (0, 0)
    finally:
        await subscription.close()
    assert not subscription.is_active
    async for _ in subscription:
        raise AssertionError("a closed subscription hands out nothing")


async def test_auto_ack_deliveries_are_settled_by_the_broker(
    client: SinewClient, queue_name: str, module_broker: RealBroker
) -> None:
    await client.declare_queue(queue_name)
    await _publish_texts(client, queue_name, "a", "b", "c")
    async with client.subscribe(queue_name, SubscribeOptions(ack_mode=AckMode.AUTO)) as subscription:
        received = await take(subscription, 3)
        assert all(d.is_settled for d in received)
        with pytest.raises(InvalidArgumentError) as caught:
            received[0].ack()
        assert caught.value.reason == "auto_ack"
        # The broker settles them itself once written; nothing stays held or ready. (Whether
        # they come back after an unsubscribe is the subject of the broker-bug test below.)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while True:
            stats = module_broker.queue_stats(queue_name)["partition_stats"][0]
            if (stats["inflight"], stats["unsettled"], stats["ready"]) == (0, 0, 0) or loop.time() > deadline:
                break
            await asyncio.sleep(0.02)
        assert (stats["inflight"], stats["unsettled"], stats["ready"]) == (0, 0, 0)
    assert [d.text() for d in received] == ["a", "b", "c"]


async def test_a_subscription_never_holds_more_than_prefetch_unsettled(
    client: SinewClient, queue_name: str, module_broker: RealBroker
) -> None:
    await client.declare_queue(queue_name)
    await _publish_texts(client, queue_name, *(str(n) for n in range(5)))
    async with client.subscribe(queue_name, SubscribeOptions(prefetch=2)) as subscription:
        held = await take(subscription, 2)
        with pytest.raises(TimeoutError):
            await subscription.receive(timeout=0.3)
        stats = module_broker.queue_stats(queue_name)["partition_stats"][0]
        assert stats["inflight"] == 2 and stats["ready"] == 3
        await held[0].ack()
        third = await subscription.receive(timeout=5)
        assert third.text() == "2"
        with pytest.raises(TimeoutError):
            await subscription.receive(timeout=0.2)


async def test_prefetch_applies_per_partition_subscription(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name, QueueOptions(partitions=2))
    await _publish_texts(client, queue_name, *(str(n) for n in range(6)))
    async with client.subscribe(queue_name, SubscribeOptions(prefetch=1)) as subscription:
        held = await take(subscription, 2)
        assert sorted(d.partition for d in held) == [0, 1]
        with pytest.raises(TimeoutError):
            await subscription.receive(timeout=0.3)


async def test_a_retry_delivers_the_message_again_with_the_next_attempt(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name)
    await _publish_texts(client, queue_name, "again")
    async with client.subscribe(queue_name) as subscription:
        attempts = []
        for _ in range(3):
            delivery = await subscription.receive(timeout=5)
            attempts.append((delivery.offset, delivery.attempt))
            await delivery.retry()
    assert attempts == [(0, 1), (0, 2), (0, 3)]


async def test_a_delayed_retry_is_not_delivered_before_its_delay(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name)
    await _publish_texts(client, queue_name, "later")
    async with client.subscribe(queue_name) as subscription:
        delivery = await subscription.receive(timeout=5)
        retried_at = time.monotonic()
        await delivery.retry_after(RETRY_DELAY)
        again = await subscription.receive(timeout=5)
        assert time.monotonic() - retried_at >= RETRY_DELAY - CLOCK_SLACK
        assert (again.offset, again.attempt) == (delivery.offset, 2)
        await again.ack()


async def test_a_fail_dead_letters_the_message_with_its_reason_and_metadata(
    client: SinewClient, queue_name: str
) -> None:
    dlq = f"{queue_name}.dlq"
    await client.declare_queue(queue_name, QueueOptions(partitions=2, dead_letter=DeadLetterPolicy.to_queue(dlq)))
    publisher = client.create_publisher(queue_name)
    receipt = await publisher.publish(
        OutgoingMessage.from_json({"order": 7}, headers={"tenant": "acme"}, key="customer-7")
    )
    before = int(time.time() * 1000)
    async with client.subscribe(queue_name) as subscription:
        delivery = await subscription.receive(timeout=5)
        await delivery.fail("payment declined ✗")
        assert delivery.is_settled
    (dead,) = await dead_letters(client, dlq, 1)
    assert dead.json() == {"order": 7} and dead.content_type == "application/json"
    headers = dict(dead.headers)
    assert headers.pop("tenant") == "acme"
    dead_lettered_at = int(headers.pop("sinew.dlq.dead_lettered_at_ms"))
    assert dead_lettered_at >= before - 1000  # the broker's clock, on the same machine
    assert headers == {
        "sinew.dlq.reason": "terminal_nack",
        "sinew.dlq.source_topic": queue_name,
        "sinew.dlq.source_partition": str(receipt.partition),
        "sinew.dlq.source_offset": str(receipt.offset),
        "sinew.dlq.attempts": "1",
        "sinew.dlq.failures": "0",
        "sinew.dlq.error": "payment declined ✗",
    }


async def test_a_dead_letter_names_the_source_group(client: SinewClient, queue_name: str) -> None:
    dlq = f"{queue_name}.dlq"
    await client.declare_queue(
        queue_name, QueueOptions(group="eu", dead_letter=DeadLetterPolicy.to_queue(dlq, "ops"))
    )
    await client.create_publisher(queue_name, PublisherOptions(group="eu")).publish(OutgoingMessage(b"x"))
    async with client.subscribe(queue_name, SubscribeOptions(group="eu")) as subscription:
        await (await subscription.receive(timeout=5)).fail()
    (dead,) = await dead_letters(client, dlq, 1, group="ops")
    assert dead.headers["sinew.dlq.source_group"] == "eu"
    assert "sinew.dlq.error" not in dead.headers


async def test_retries_beyond_max_retries_dead_letter_as_retries_exhausted_with_the_last_reason(
    client: SinewClient, queue_name: str
) -> None:
    dlq = f"{queue_name}.dlq"
    await client.declare_queue(queue_name, QueueOptions(max_retries=2, dead_letter=DeadLetterPolicy.to_queue(dlq)))
    await _publish_texts(client, queue_name, "doomed")
    async with client.subscribe(queue_name) as subscription:
        # The second retry gives no reason, so the reason of the third is the last one given.
        for attempt, reason in ((1, "timed out"), (2, None), (3, "refused")):
            delivery = await subscription.receive(timeout=5)
            assert delivery.attempt == attempt
            await (delivery.retry_after(0.001, reason) if attempt == 1 else delivery.retry(reason))
        with pytest.raises(TimeoutError):
            await subscription.receive(timeout=0.2)
    (dead,) = await dead_letters(client, dlq, 1)
    assert dead.text() == "doomed"
    assert (dead.headers["sinew.dlq.reason"], dead.headers["sinew.dlq.attempts"]) == ("retries_exhausted", "3")
    assert dead.headers["sinew.dlq.error"] == "refused"


async def test_an_expired_lease_returns_the_message_and_makes_the_old_delivery_stale(
    client: SinewClient, queue_name: str
) -> None:
    await client.declare_queue(queue_name, QueueOptions(lease=0.3))
    await _publish_texts(client, queue_name, "slow")
    async with client.subscribe(queue_name) as subscription:
        first = await subscription.receive(timeout=5)
        again = await subscription.receive(timeout=5)  # after the lease ran out
        assert (again.offset, again.attempt) == (first.offset, 2)
        assert again.delivery_id != first.delivery_id
        with pytest.raises(BrokerError) as caught:
            await first.ack()
        assert caught.value.code == "stale_delivery"
        assert caught.value.details["delivery_id"] == str(first.delivery_id)
        await again.ack()


async def test_a_lease_expiry_past_max_retries_dead_letters(client: SinewClient, queue_name: str) -> None:
    dlq = f"{queue_name}.dlq"
    await client.declare_queue(
        queue_name, QueueOptions(lease=0.2, max_retries=0, dead_letter=DeadLetterPolicy.to_queue(dlq))
    )
    await _publish_texts(client, queue_name, "abandoned")
    async with client.subscribe(queue_name) as subscription:
        await subscription.receive(timeout=5)
        (dead,) = await dead_letters(client, dlq, 1)
    assert dead.headers["sinew.dlq.reason"] == "retries_exhausted"


async def test_extending_the_lease_keeps_the_delivery(
    client: SinewClient, queue_name: str, module_broker: RealBroker
) -> None:
    await client.declare_queue(queue_name, QueueOptions(lease=0.3))
    await _publish_texts(client, queue_name, "long job")
    async with SinewClient.connect(broker_options(module_broker)) as rival:
        async with client.subscribe(queue_name) as subscription, rival.subscribe(queue_name) as competing:
            delivery = await subscription.receive(timeout=5)
            for _ in range(4):  # 0.8 s in all: more than twice the queue's lease
                await delivery.extend_lease(2)
                assert not delivery.is_settled
                await asyncio.sleep(0.2)
            with pytest.raises(TimeoutError):
                await competing.receive(timeout=0.1)
            await delivery.ack()
        await delivery_extension_default_applies(rival, queue_name)


async def delivery_extension_default_applies(client: SinewClient, topic: str) -> None:
    """`extend_lease()` without a length restarts the queue's own lease."""
    await _publish_texts(client, topic, "default extension")
    async with client.subscribe(topic) as subscription:
        delivery = await subscription.receive(timeout=5)
        await delivery.extend_lease()
        await delivery.ack()


async def test_unsettled_messages_go_to_another_consumer_when_a_subscription_closes(
    client: SinewClient, queue_name: str, module_broker: RealBroker
) -> None:
    await client.declare_queue(queue_name)
    await _publish_texts(client, queue_name, "a", "b")
    async with SinewClient.connect(broker_options(module_broker)) as other:
        first = await client.subscribe(queue_name)
        held = await take(first, 2)
        async with other.subscribe(queue_name) as second:
            with pytest.raises(TimeoutError):
                await second.receive(timeout=0.2)
            await first.close()
            returned = await take(second, 2)
    assert sorted((d.text(), d.attempt) for d in returned) == [("a", 2), ("b", 2)]
    with pytest.raises(BrokerError) as caught:
        await held[0].ack()
    assert caught.value.code == "stale_delivery"


async def test_closing_a_client_returns_its_unsettled_messages(
    client: SinewClient, queue_name: str, module_broker: RealBroker
) -> None:
    await client.declare_queue(queue_name)
    await _publish_texts(client, queue_name, "held")
    leaving = await SinewClient.connect(broker_options(module_broker))
    subscription = await leaving.subscribe(queue_name)
    await subscription.receive(timeout=5)
    await leaving.close()
    async with client.subscribe(queue_name) as remaining:
        again = await remaining.receive(timeout=5)
    assert (again.text(), again.attempt) == ("held", 2)


async def test_the_global_dead_letter_target_receives_what_queues_with_the_global_policy_drop(
    real_broker: RealBroker,
) -> None:
    async with SinewClient.connect(broker_options(real_broker)) as client:
        await client.declare_queue("orders")
        await client.declare_queue("discarded", QueueOptions(dead_letter=DeadLetterPolicy.discard()))
        for topic in ("orders", "discarded"):
            await client.create_publisher(topic).publish(OutgoingMessage.from_text(topic))
        # No target set yet: the broker's own `$dead-letters` takes it, not "all-dead"
        # (tests/broker/test_broker_failures.py consumes it from there).
        async with client.subscribe("orders") as subscription:
            await (await subscription.receive(timeout=5)).fail("before")
        real_broker.set_dead_letter_target("all-dead")
        await client.create_publisher("orders").publish(OutgoingMessage.from_text("after"))
        for topic in ("orders", "discarded"):
            async with client.subscribe(topic) as subscription:
                await (await subscription.receive(timeout=5)).fail()
        (dead,) = await dead_letters(client, "all-dead", 1)
        assert (dead.text(), dead.headers["sinew.dlq.source_topic"]) == ("after", "orders")
        async with client.subscribe("all-dead") as subscription:
            with pytest.raises(TimeoutError):
                await subscription.receive(timeout=0.2)


async def test_auto_ack_flow_control_pauses_the_socket_without_losing_anything(
    client: SinewClient, queue_name: str
) -> None:
    payload = bytes(4096)
    count = 400
    await client.declare_queue(queue_name, QueueOptions(partitions=2))
    publisher = client.create_publisher(queue_name)
    for start in range(0, count, 100):
        await publisher.publish_batch(
            OutgoingMessage(payload, headers={"n": str(n)}) for n in range(start, start + 100)
        )
    connection = client._core.connection
    assert connection is not None
    options = SubscribeOptions(ack_mode=AckMode.AUTO, prefetch=10)
    async with client.subscribe(queue_name, options) as subscription:
        # The consumer is busy; the broker keeps sending until the client stops reading.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while not connection.is_reading_paused and loop.time() < deadline:
            await asyncio.sleep(0.01)
        assert connection.is_reading_paused
        # Bounded by the pause threshold plus what arrived before it took effect (socket reads
        # in progress), far below what the broker had to send.
        assert 2 * 10 <= subscription.buffered <= count // 4
        numbers = [int((await subscription.receive(timeout=5)).headers["n"]) for _ in range(count)]
        assert not connection.is_reading_paused
    assert sorted(numbers) == list(range(count))
    assert client.is_connected


async def test_an_auto_ack_consumer_behind_on_a_backlog_can_await_a_confirmed_publish_per_message(
    module_broker: RealBroker, queue_name: str
) -> None:
    # A short request timeout: a reply held back behind the consumer's flow control would
    # show as a timeout.
    async with SinewClient.connect(broker_options(module_broker, request_timeout=3.0)) as client:
        target = f"{queue_name}.target"
        await client.declare_queue(queue_name, QueueOptions(partitions=4))
        await client.declare_queue(target)
        source = client.create_publisher(queue_name)
        for start in range(0, 1000, 250):
            await source.publish_batch(
                OutgoingMessage.from_text(f"m{n}") for n in range(start, start + 250)
            )
        forward = client.create_publisher(target)
        options = SubscribeOptions(ack_mode=AckMode.AUTO, prefetch=2)
        forwarded = 0
        async with client.subscribe(queue_name, options) as subscription:
            async for delivery in subscription:
                await forward.publish(OutgoingMessage(delivery.payload))
                forwarded += 1
                if forwarded == 100:
                    break
        assert (await forward.publish(OutgoingMessage(b"last"))).offset == 100


async def test_an_auto_ack_delivery_that_reached_the_client_is_never_delivered_again(
    module_broker: RealBroker, queue_name: str
) -> None:
    count = 100
    arrivals: Counter[int] = Counter()

    async def consume_and_leave_early() -> None:
        async with SinewClient.connect(broker_options(module_broker)) as client:
            # Every Deliver frame that reaches the socket is counted, including frames for a
            # subscription the client has just closed (which it then drops).
            connection = client._core.connection
            assert connection is not None
            routes = connection._routes
            original = routes.deliver

            def count_arrivals(message: Deliver) -> None:
                arrivals.update(delivered.offset for delivered in message.messages)
                original(message)

            routes.deliver = count_arrivals  # type: ignore[method-assign]
            options = SubscribeOptions(ack_mode=AckMode.AUTO, prefetch=1)
            while True:
                subscription = await client.subscribe(queue_name, options)
                try:
                    await subscription.receive(timeout=1)
                except TimeoutError:
                    return
                finally:
                    await subscription.close()

    async with SinewClient.connect(broker_options(module_broker)) as client:
        await client.declare_queue(queue_name)
        publisher = client.create_publisher(queue_name)
        for _ in range(count // 20):
            await publisher.publish_batch(OutgoingMessage(bytes(128 * 1024)) for _ in range(20))
    await asyncio.gather(*(consume_and_leave_early() for _ in range(4)))
    assert set(arrivals) == set(range(count))
    delivered_again = {offset: times for offset, times in arrivals.items() if times > 1}
    assert delivered_again == {}
