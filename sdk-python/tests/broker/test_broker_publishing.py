"""Publishing to the real broker: confirmed, unconfirmed, pipelined and batched publishes,
delays, TTLs, headers and payload helpers, and the reliable publisher's deduplication."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

import pytest
from support.integration import broker_options, dead_letters, take
from support.real_broker import RealBroker

from sinew import (
    BrokerError,
    DeadLetterPolicy,
    InvalidArgumentError,
    OutgoingMessage,
    PublisherOptions,
    QueueOptions,
    ReliablePublisherOptions,
    SinewClient,
    SinewError,
)

DELAY = 0.5
"""Delays are asserted as "not delivered before", never as "delivered by"."""
CLOCK_SLACK = 0.005
"""Allowance for the broker's timer and this process's clock not ticking in step."""


async def test_confirmed_publishes_get_increasing_offsets(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name)
    publisher = client.create_publisher(queue_name)
    receipts = [await publisher.publish(OutgoingMessage.from_text(f"m{n}")) for n in range(5)]
    assert [(r.partition, r.offset, r.duplicate) for r in receipts] == [(0, n, False) for n in range(5)]


async def test_unconfirmed_publishes_arrive_in_order(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name)
    publisher = client.create_publisher(queue_name)
    for n in range(20):
        await publisher.publish_unconfirmed(OutgoingMessage.from_text(str(n)))
    async with client.subscribe(queue_name) as subscription:
        received = await take(subscription, 20)
    assert [d.text() for d in received] == [str(n) for n in range(20)]
    assert [d.offset for d in received] == list(range(20))


async def test_an_unconfirmed_publish_the_broker_refuses_is_reported_to_on_error(
    module_broker: RealBroker, queue_name: str
) -> None:
    reported: list[SinewError] = []
    async with SinewClient.connect(broker_options(module_broker, on_error=reported.append)) as client:
        await client.create_publisher(queue_name).publish_unconfirmed(OutgoingMessage.from_text("lost"))
        await client.topology()  # answered after the error, which the broker sent first
        assert len(reported) == 1
        error = reported[0]
        assert isinstance(error, BrokerError) and error.code == "not_found"
        assert client.is_connected  # a refused publish does not cost the connection


async def test_pipelined_publishes_are_each_confirmed_in_order(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name)
    publisher = client.create_publisher(queue_name)
    confirmations = [
        await publisher.publish_with_confirmation(OutgoingMessage.from_text(str(n))) for n in range(50)
    ]
    receipts = await asyncio.gather(*confirmations)
    assert [r.offset for r in receipts] == list(range(50))
    assert all(c.done() for c in confirmations)


async def test_a_pipelined_publish_to_a_missing_queue_fails_its_confirmation(
    client: SinewClient, queue_name: str
) -> None:
    confirmation = await client.create_publisher(queue_name).publish_with_confirmation(OutgoingMessage(b""))
    with pytest.raises(BrokerError) as caught:
        await confirmation
    assert caught.value.code == "not_found"


async def test_a_batch_is_stored_in_one_frame_and_confirmed_per_message(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name)
    publisher = client.create_publisher(queue_name)
    receipts = await publisher.publish_batch(OutgoingMessage.from_json({"n": n}) for n in range(10))
    assert [r.offset for r in receipts] == list(range(10))
    assert await publisher.publish_batch([]) == []
    async with client.subscribe(queue_name) as subscription:
        received = await take(subscription, 10)
    assert [d.json() for d in received] == [{"n": n} for n in range(10)]


async def test_a_batch_above_the_brokers_limit_is_refused_before_sending(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name)
    with pytest.raises(InvalidArgumentError) as caught:
        await client.create_publisher(queue_name).publish_batch(OutgoingMessage(b"") for _ in range(1025))
    assert (caught.value.argument, caught.value.reason) == ("messages", "too_many")


async def test_a_delayed_message_is_not_delivered_before_its_delay(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name)
    publisher = client.create_publisher(queue_name)
    async with client.subscribe(queue_name) as subscription:
        sent = time.monotonic()
        await publisher.publish(OutgoingMessage.from_text("later", delay=DELAY))
        await publisher.publish(OutgoingMessage.from_text("now"))
        first = await subscription.receive(timeout=5)
        assert first.text() == "now"
        second = await subscription.receive(timeout=5)
        waited = time.monotonic() - sent
    assert second.text() == "later"
    assert waited >= DELAY - CLOCK_SLACK


async def test_a_message_with_not_before_is_not_delivered_before_that_time(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name)
    not_before = datetime.now(timezone.utc) + timedelta(seconds=DELAY)
    await client.create_publisher(queue_name).publish(OutgoingMessage.from_text("x", not_before=not_before))
    async with client.subscribe(queue_name) as subscription:
        await subscription.receive(timeout=5)
        received_at = datetime.now(timezone.utc)
    assert received_at >= not_before - timedelta(seconds=CLOCK_SLACK)


async def test_a_publishers_default_delay_applies_to_messages_without_one(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name)
    delayed = client.create_publisher(queue_name, PublisherOptions(delay=DELAY))
    async with client.subscribe(queue_name) as subscription:
        sent = time.monotonic()
        await delayed.publish(OutgoingMessage.from_text("default delay"))
        await delayed.publish(OutgoingMessage.from_text("own delay", delay=0))
        assert (await subscription.receive(timeout=5)).text() == "own delay"
        assert (await subscription.receive(timeout=5)).text() == "default delay"
        assert time.monotonic() - sent >= DELAY - CLOCK_SLACK


async def test_a_message_whose_ttl_passes_is_dead_lettered_as_expired(client: SinewClient, queue_name: str) -> None:
    dlq = f"{queue_name}.dlq"
    await client.declare_queue(queue_name, QueueOptions(dead_letter=DeadLetterPolicy.to_queue(dlq)))
    publisher = client.create_publisher(queue_name)
    receipt = await publisher.publish(
        OutgoingMessage.from_text("perishable", ttl=0.2, headers={"order": "7"})
    )
    await publisher.publish(OutgoingMessage.from_text("keeps"))
    (dead,) = await dead_letters(client, dlq, 1)
    assert dead.text() == "perishable" and dead.content_type == "text/plain; charset=utf-8"
    assert dead.headers["order"] == "7"
    assert dead.headers["sinew.dlq.reason"] == "expired"
    assert dead.headers["sinew.dlq.source_topic"] == queue_name
    assert dead.headers["sinew.dlq.source_offset"] == str(receipt.offset)
    assert dead.headers["sinew.dlq.attempts"] == "0"
    async with client.subscribe(queue_name) as subscription:
        assert (await subscription.receive(timeout=5)).text() == "keeps"


async def test_a_queues_default_ttl_applies_to_messages_without_one(client: SinewClient, queue_name: str) -> None:
    dlq = f"{queue_name}.dlq"
    await client.declare_queue(
        queue_name, QueueOptions(default_ttl=0.2, dead_letter=DeadLetterPolicy.to_queue(dlq))
    )
    await client.create_publisher(queue_name).publish(OutgoingMessage.from_text("x"))
    (dead,) = await dead_letters(client, dlq, 1)
    assert dead.headers["sinew.dlq.reason"] == "expired"


async def test_headers_round_trip(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name)
    headers = {
        "tenant": "acme",
        "ünïcödé-key": "värde ✓",
        "sinew.client.trace": "kept: the client prefix is allowed",
        "empty": "",
        "10": "sorted as bytes",
        "9": "after 10",
    }
    await client.create_publisher(queue_name).publish(OutgoingMessage.from_text("h", headers=headers))
    async with client.subscribe(queue_name) as subscription:
        delivery = await subscription.receive(timeout=5)
    assert dict(delivery.headers) == headers


@pytest.mark.parametrize("key", ["sinew.trace", "Sinew.Trace", "SINEW.dlq.reason"])
def test_reserved_headers_are_refused_before_sending(key: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        OutgoingMessage.from_text("x", headers={key: "v"})
    assert (caught.value.argument, caught.value.reason) == ("headers", "reserved_prefix")


async def test_payload_helpers_round_trip(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name)
    value = {"id": 42, "items": ["a", "b"], "price": 9.5, "note": "ünïcode"}
    publisher = client.create_publisher(queue_name)
    await publisher.publish_batch(
        [
            OutgoingMessage.from_text("plain text ✓"),
            OutgoingMessage.from_json(value),
            OutgoingMessage.from_msgpack(value),
            OutgoingMessage.from_bytes(b"\x00\xffraw", content_type="application/x-custom"),
            OutgoingMessage(b"no content type"),
            OutgoingMessage(b""),
        ]
    )
    async with client.subscribe(queue_name) as subscription:
        text, as_json, as_msgpack, custom, bare, empty = await take(subscription, 6)
    assert (text.text(), text.content_type) == ("plain text ✓", "text/plain; charset=utf-8")
    assert (as_json.json(), as_json.content_type) == (value, "application/json")
    assert (as_msgpack.msgpack(), as_msgpack.content_type) == (value, "application/msgpack")
    assert (custom.payload, custom.content_type) == (b"\x00\xffraw", "application/x-custom")
    assert (bare.payload, bare.content_type) == (b"no content type", None)
    assert (empty.payload, empty.content_type) == (b"", None)


async def test_a_large_payload_round_trips(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name)
    payload = bytes(range(256)) * 4096  # 1 MiB
    await client.create_publisher(queue_name).publish(OutgoingMessage(payload))
    async with client.subscribe(queue_name) as subscription:
        assert (await subscription.receive(timeout=5)).payload == payload


async def test_a_reliable_publisher_stores_a_resent_message_once(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name)
    options = ReliablePublisherOptions(producer_id=f"producer-{queue_name}"[:64])
    first = client.create_reliable_publisher(queue_name, options)
    receipts = [await first.publish(OutgoingMessage.from_text(f"m{n}")) for n in range(3)]
    assert [r.duplicate for r in receipts] == [False] * 3
    # The same producer id and sequence numbers again, as a retry after a lost
    # confirmation would send them: the broker answers with the original offsets.
    again = client.create_reliable_publisher(queue_name, options)
    resent = await again.publish_batch(OutgoingMessage.from_text(f"m{n}") for n in range(3))
    assert [(r.offset, r.duplicate) for r in resent] == [(r.offset, True) for r in receipts]
    fresh = await again.publish(OutgoingMessage.from_text("m3"))
    assert (fresh.offset, fresh.duplicate) == (3, False)
    async with client.subscribe(queue_name) as subscription:
        received = await take(subscription, 4)
        with pytest.raises(TimeoutError):
            await subscription.receive(timeout=0.2)
    assert [d.text() for d in received] == ["m0", "m1", "m2", "m3"]
