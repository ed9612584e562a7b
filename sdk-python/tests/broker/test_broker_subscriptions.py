"""Subscriptions against the real broker, where the broker's queues decide the outcome: each
delivery settled on its own partition's subscription, the refusals of settling, a settlement reason
at its limit, delivery metadata and payload helpers, and reading paused and resumed as an
auto-ack subscription's buffer fills and drains."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import msgpack
import pytest
from support.integration import broker_options, take
from support.real_broker import RealBroker

from sinew import (
    AckMode,
    InvalidArgumentError,
    OutgoingMessage,
    PublisherOptions,
    QueueOptions,
    SinewClient,
    SubscribeOptions,
)
from sinew.wire import Deliver, DeliveredMessage


async def _refusal(call: Callable[[], Awaitable[Any] | Any]) -> tuple[str, str]:
    """The argument and reason of the refusal, whether raised at the call or when awaited."""
    with pytest.raises(InvalidArgumentError) as caught:
        result = call()
        if isinstance(result, Awaitable):
            await result
    return caught.value.argument, caught.value.reason


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


async def test_each_delivery_settles_on_its_own_partition_subscription(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name, QueueOptions(partitions=2))
    publisher = client.create_publisher(queue_name)
    await publisher.publish(OutgoingMessage(b"a"))  # partition 0
    await publisher.publish(OutgoingMessage(b"b"))  # partition 1
    async with client.subscribe(queue_name) as subscription:
        deliveries = await take(subscription, 2)
        by_partition = {d.partition: d for d in deliveries}
        await by_partition[1].ack()
        await by_partition[0].retry()
        redelivered = await subscription.receive(timeout=5)
        with pytest.raises(TimeoutError):
            await subscription.receive(timeout=0.2)  # the acked one is gone for good
    assert (redelivered.partition, redelivered.attempt, redelivered.payload) == (0, 2, b"a")


async def test_settlements_are_refused_with_the_shared_reasons(client: SinewClient, queue_name: str) -> None:
    audit = f"{queue_name}.audit"
    await client.declare_queue(queue_name, QueueOptions(partitions=2))
    await client.declare_queue(audit)
    await client.create_publisher(queue_name).publish_batch([OutgoingMessage(b"a"), OutgoingMessage(b"b")])
    await client.create_publisher(audit).publish(OutgoingMessage(b"c"))
    async with (
        client.subscribe(queue_name) as manual,
        client.subscribe(audit, SubscribeOptions(ack_mode=AckMode.AUTO)) as auto,
    ):
        first, second = await take(manual, 2)
        auto_acked = await auto.receive(timeout=5)
        assert await _refusal(auto_acked.ack) == ("ack_mode", "auto_ack")
        await first.ack()
        assert await _refusal(first.ack) == ("delivery", "already_settled")
        assert await _refusal(lambda: second.fail("r" * 1025)) == ("reason", "too_long")
        assert await _refusal(lambda: second.retry_after(-1)) == ("delay", "out_of_range")
        assert await _refusal(lambda: second.extend_lease(timedelta(0))) == ("by", "out_of_range")


async def test_a_settlement_reason_is_limited_to_1024_bytes(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name)
    await client.create_publisher(queue_name).publish(OutgoingMessage(b"a"))
    async with client.subscribe(queue_name) as subscription:
        delivery = await subscription.receive(timeout=5)
        with pytest.raises(InvalidArgumentError):
            await delivery.fail("x" * 1025)
        with pytest.raises(InvalidArgumentError):
            await delivery.retry("x" * 1025)
        with pytest.raises(InvalidArgumentError):
            await delivery.retry_after(1, "x" * 1025)
        assert not delivery.is_settled  # refused before anything was claimed or sent
        await delivery.fail("x" * 1024)


async def test_deliveries_expose_metadata_and_payload_helpers(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name, QueueOptions(group="eu"))
    publisher = client.create_publisher(queue_name, PublisherOptions(group="eu"))
    before = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(seconds=1)
    await publisher.publish(OutgoingMessage(b'{"id":1}', headers={"tenant": "acme"}, content_type="application/json"))
    await publisher.publish(OutgoingMessage(msgpack.packb({"n": 2})))
    after = datetime.now(timezone.utc) + timedelta(seconds=1)
    async with client.subscribe(queue_name, SubscribeOptions(group="eu")) as subscription:
        as_json, as_msgpack = await take(subscription, 2)
    assert as_json.json() == {"id": 1} and as_json.text() == '{"id":1}'
    assert as_json.content_type == "application/json"
    assert dict(as_json.headers) == {"tenant": "acme"}
    assert (as_json.topic, as_json.group, as_json.partition, as_json.offset, as_json.attempt) == (
        queue_name, "eu", 0, 0, 1,
    )
    assert before <= as_json.published_at <= after
    assert as_json.delivery_id >= 1
    assert as_msgpack.msgpack() == {"n": 2}
    assert as_msgpack.headers == {}


async def test_text_replaces_bytes_that_are_not_utf8_and_the_payload_keeps_them(
    client: SinewClient, queue_name: str
) -> None:
    # A stray byte, a sequence cut short, an encoded surrogate and an overlong form: each
    # maximal invalid subpart becomes one U+FFFD, as TextDecoder and .NET's decoder do.
    payload = b"ok\xff \xf0\x9f\x98! \xed\xa0\x80 \xc0\xaf"
    await client.declare_queue(queue_name)
    await client.create_publisher(queue_name).publish(
        OutgoingMessage(payload, content_type="text/plain; charset=utf-8")
    )
    async with client.subscribe(queue_name) as subscription:
        delivery = await subscription.receive(timeout=5)
    assert delivery.text() == "ok\ufffd \ufffd! \ufffd\ufffd\ufffd \ufffd\ufffd"
    assert delivery.payload == payload
    with pytest.raises(UnicodeDecodeError):
        delivery.payload.decode("utf-8")


async def test_an_auto_ack_subscription_pauses_reading_while_its_buffer_is_full(
    client: SinewClient, queue_name: str
) -> None:
    await client.declare_queue(queue_name)
    subscription = await client.subscribe(queue_name, SubscribeOptions(ack_mode=AckMode.AUTO, prefetch=4))
    connection = client._core.connection
    assert connection is not None
    await client.create_publisher(queue_name).publish_batch(OutgoingMessage(bytes([n])) for n in range(12))
    await _until(lambda: connection.is_reading_paused)
    assert subscription.buffered >= 4
    received = [(await subscription.receive(timeout=5)).payload for _ in range(12)]
    assert received == [bytes([n]) for n in range(12)]
    assert not connection.is_reading_paused
    await subscription.close()


async def test_a_reply_is_never_held_behind_a_paused_socket(
    client: SinewClient, queue_name: str, module_broker: RealBroker
) -> None:
    audit = f"{queue_name}.audit"
    await client.declare_queue(queue_name)
    await client.declare_queue(audit)
    subscription = await client.subscribe(queue_name, SubscribeOptions(ack_mode=AckMode.AUTO, prefetch=2))
    connection = client._core.connection
    assert connection is not None
    async with SinewClient.connect(broker_options(module_broker)) as producer:
        source = producer.create_publisher(queue_name)
        await source.publish_batch(OutgoingMessage(bytes([n])) for n in range(4))
        await _until(lambda: connection.is_reading_paused)
        # Deliveries the client has not read sit in front of the reply to come.
        await source.publish_batch(OutgoingMessage(bytes([n])) for n in range(4, 64))
    publisher = client.create_publisher(audit)
    # Well inside the request timeout: a reply held back would only end with it.
    receipt = await asyncio.wait_for(publisher.publish(OutgoingMessage(b"x")), 1.0)
    assert receipt.offset == 0
    # Once the reply is in, the consumer that is behind holds the socket again.
    assert connection.is_reading_paused and connection.pending_requests == 0
    received = [(await subscription.receive(timeout=5)).payload for _ in range(64)]
    assert received == [bytes([n]) for n in range(64)]
    assert not connection.is_reading_paused
    await subscription.close()


async def test_reading_resumes_at_half_the_pause_threshold(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name, QueueOptions(partitions=2))
    subscription = await client.subscribe(queue_name, SubscribeOptions(ack_mode=AckMode.AUTO, prefetch=3))
    connection = client._core.connection
    assert connection is not None
    # Two broker subscriptions of prefetch 3: reading pauses at 6 buffered, resumes at 3.
    for n in range(6):
        subscription._feed.deliver(1, _deliver_frame(n).messages)
    assert connection.is_reading_paused
    for expected_buffered in (5, 4):
        await subscription.receive(timeout=1)
        assert subscription.buffered == expected_buffered and connection.is_reading_paused
    await subscription.receive(timeout=1)
    assert subscription.buffered == 3 and not connection.is_reading_paused
    await subscription.close()


async def test_manual_ack_subscriptions_never_pause_reading(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name)
    subscription = await client.subscribe(queue_name, SubscribeOptions(prefetch=1))
    for n in range(3):
        subscription._feed.deliver(1, _deliver_frame(n).messages)
    connection = client._core.connection
    assert connection is not None and not connection.is_reading_paused
    await subscription.close()


def _deliver_frame(number: int) -> Deliver:
    """Deliveries handed straight to a subscription's buffer, as its read loop would."""
    return Deliver(
        subscription_id=1,
        messages=(
            DeliveredMessage(
                delivery_id=1000 + number, partition=0, offset=number, attempt=1,
                published_at_ms=int(time.time() * 1000), payload=bytes([number]),
            ),
        ),
    )
