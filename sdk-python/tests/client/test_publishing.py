"""Publishing: confirmations mapped to receipts, pipelining, batches, unconfirmed sends,
routing on the wire, per-message and per-publisher options, and write coalescing. The fake
broker confirms each message in the partition the client chose, at offsets the test gives.

What the real broker answers (duplicates in a batch, publishing after close) runs against it
(tests/broker/test_broker_publish_receipts.py, tests/broker/test_broker_closing.py)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime, timedelta, timezone

import pytest
from support.fake_broker import FakeBroker
from support.options import options_for
from support.scripted_frames import (
    ERROR_NOT_FOUND,
    ERROR_REDIRECT,
    ERROR_UNAVAILABLE,
    answer_hello_with,
    declare_queue_ok_for,
    error,
    hello_ok,
    limits,
    publish_ok_at,
    topology,
)

from sinew import (
    BrokerError,
    InvalidArgumentError,
    OutgoingMessage,
    PublisherOptions,
    PublishReceipt,
    QueueOptions,
    SinewClient,
)
from sinew.routing import partition_for_key
from sinew.wire import (
    DeclareQueue,
    FrameFlags,
    Publish,
    PublishBatch,
    PublishMessage,
    TopologyRequest,
)


@pytest.fixture(autouse=True)
def confirming(broker: FakeBroker) -> None:
    """Declares are accepted as asked and publishes confirmed in the client's partitions at
    offset 0; a test that needs other answers replaces these."""
    broker.answer(DeclareQueue, declare_queue_ok_for)
    broker.answer(Publish, publish_ok_at)
    broker.answer(PublishBatch, publish_ok_at)


def _published(broker: FakeBroker) -> list[PublishMessage]:
    messages: list[PublishMessage] = []
    for frame in broker.frames(Publish) + broker.frames(PublishBatch):
        message = frame.message
        if isinstance(message, Publish):
            messages.append(message.message)
        elif isinstance(message, PublishBatch):
            messages.extend(message.messages)
    return messages


async def test_a_confirmed_publish_returns_partition_and_offset(broker: FakeBroker, client: SinewClient) -> None:
    offsets = itertools.count()
    broker.answer(Publish, lambda frame: publish_ok_at(frame, next(offsets)))
    await client.declare_queue("orders")
    publisher = client.create_publisher("orders")
    first = await publisher.publish(OutgoingMessage.from_text("one"))
    second = await publisher.publish(OutgoingMessage.from_text("two"))
    assert (first, second) == (PublishReceipt(0, 0, False), PublishReceipt(0, 1, False))
    frame = broker.frames(Publish)[0]
    assert frame.flags & FrameFlags.CONFIRM and frame.request_id != 0


async def test_a_batch_returns_one_receipt_per_message_in_order(broker: FakeBroker, client: SinewClient) -> None:
    broker.answer(PublishBatch, lambda frame: publish_ok_at(frame, 0, 0, 1, 1, 2))
    await client.declare_queue("orders", QueueOptions(partitions=2))
    receipts = await client.create_publisher("orders").publish_batch(
        OutgoingMessage.from_json({"n": n}) for n in range(5)
    )
    assert [(r.partition, r.offset) for r in receipts] == [(0, 0), (1, 0), (0, 1), (1, 1), (0, 2)]
    batch = broker.frames(PublishBatch)
    assert len(batch) == 1 and batch[0].flags & FrameFlags.CONFIRM
    assert isinstance(batch[0].message, PublishBatch) and len(batch[0].message.messages) == 5


async def test_an_empty_batch_sends_nothing(broker: FakeBroker, client: SinewClient) -> None:
    assert await client.create_publisher("orders").publish_batch([]) == []
    assert broker.frames(PublishBatch) == []


async def test_pipelined_publishes_are_all_sent_before_any_confirmation(broker: FakeBroker, client: SinewClient) -> None:
    await client.declare_queue("orders")
    broker.answer(Publish, lambda frame: None)  # held until all ten were sent
    publisher = client.create_publisher("orders")
    confirmations = [await publisher.publish_with_confirmation(OutgoingMessage(bytes([n]))) for n in range(10)]
    await broker.wait_for(lambda: len(broker.frames(Publish)) == 10)
    assert not any(confirmation.done() for confirmation in confirmations)
    for offset, frame in enumerate(broker.frames(Publish)):
        broker.reply(frame, publish_ok_at(frame, offset))
    receipts = [await confirmation for confirmation in confirmations]
    assert [receipt.offset for receipt in receipts] == list(range(10))
    assert await confirmations[0].wait() == receipts[0]


async def test_an_unconfirmed_publish_asks_for_no_reply(broker: FakeBroker, client: SinewClient) -> None:
    await client.declare_queue("orders")
    await client.create_publisher("orders").publish_unconfirmed(OutgoingMessage(b"fire"))
    await broker.wait_for(lambda: bool(broker.frames(Publish)))
    frame = broker.frames(Publish)[0]
    assert frame.request_id == 0 and not frame.flags & FrameFlags.CONFIRM


async def test_keyed_messages_carry_the_key_and_its_fnv1a_partition(broker: FakeBroker, client: SinewClient) -> None:
    await client.declare_queue("orders", QueueOptions(partitions=7))
    publisher = client.create_publisher("orders")
    for key in ("customer-1", "customer-2", b"\x00\xff"):
        receipt = await publisher.publish(OutgoingMessage(b"", key=key))
        raw = key.encode() if isinstance(key, str) else key
        assert receipt.partition == partition_for_key(raw, 7)
    sent = _published(broker)
    assert [m.partition_key for m in sent] == [b"customer-1", b"customer-2", b"\x00\xff"]
    assert [m.partition for m in sent] == [partition_for_key(m.partition_key or b"", 7) for m in sent]


async def test_keyless_messages_go_round_robin_over_the_partitions(broker: FakeBroker, client: SinewClient) -> None:
    await client.declare_queue("orders", QueueOptions(partitions=3))
    publisher = client.create_publisher("orders")
    receipts = [await publisher.publish(OutgoingMessage(b"")) for _ in range(6)]
    assert [r.partition for r in receipts] == [0, 1, 2, 0, 1, 2]
    assert [m.partition for m in _published(broker)] == [0, 1, 2, 0, 1, 2]


async def test_an_undeclared_queue_is_looked_up_in_the_topology_once(broker: FakeBroker, client: SinewClient) -> None:
    broker.answer(TopologyRequest, lambda frame: topology(("orders", 2)))
    publisher = client.create_publisher("orders")
    receipts = [await publisher.publish(OutgoingMessage(b"")) for _ in range(4)]
    assert [r.partition for r in receipts] == [0, 1, 0, 1]
    assert len(broker.frames(TopologyRequest)) == 1
    sent = broker.frames(Publish)[0].message
    assert isinstance(sent, Publish) and sent.routing_version == 1


async def test_an_unknown_queue_routes_keyless_to_partition_zero_and_keyed_to_the_broker(
    broker: FakeBroker, client: SinewClient
) -> None:
    broker.answer(TopologyRequest, lambda frame: topology())
    broker.answer(Publish, lambda frame: error(ERROR_NOT_FOUND, "queue nowhere does not exist"))
    publisher = client.create_publisher("nowhere")
    for message in (OutgoingMessage(b""), OutgoingMessage(b"", key="k")):
        with pytest.raises(BrokerError):
            await publisher.publish(message)
    assert [(m.partition, m.partition_key) for m in _published(broker)] == [(0, None), (None, b"k")]


async def test_delay_not_before_and_ttl_travel_in_milliseconds(broker: FakeBroker, client: SinewClient) -> None:
    await client.declare_queue("orders")
    publisher = client.create_publisher("orders")
    at = datetime(2031, 5, 6, 7, 8, 9, 123000, tzinfo=timezone.utc)
    await publisher.publish(OutgoingMessage(b"", delay=timedelta(seconds=2.5), ttl=60))
    await publisher.publish(OutgoingMessage(b"", not_before=at))
    first, second = _published(broker)
    assert (first.delay_ms, first.not_before_ms, first.ttl_ms) == (2500, None, 60_000)
    assert (second.delay_ms, second.not_before_ms) == (None, int(at.timestamp() * 1000))


async def test_publisher_defaults_apply_to_messages_that_set_none(broker: FakeBroker, client: SinewClient) -> None:
    await client.declare_queue("orders")
    publisher = client.create_publisher("orders", PublisherOptions(delay=1, ttl=30))
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    await publisher.publish(OutgoingMessage(b""))
    await publisher.publish(OutgoingMessage(b"", delay=5, ttl=9))
    await publisher.publish(OutgoingMessage(b"", not_before=later))
    sent = _published(broker)
    assert [(m.delay_ms, m.ttl_ms) for m in sent] == [(1000, 30_000), (5000, 9000), (None, 30_000)]
    assert sent[2].not_before_ms is not None


async def test_payload_content_type_and_headers_are_sent_as_given(broker: FakeBroker, client: SinewClient) -> None:
    await client.declare_queue("orders")
    message = OutgoingMessage.from_json({"id": 7}, headers={"tenant": "acme", "sinew.client.lib": "py"})
    await client.create_publisher("orders").publish(message)
    (sent,) = _published(broker)
    assert (sent.payload, sent.content_type) == (b'{"id":7}', "application/json")
    assert sent.headers == {"tenant": "acme", "sinew.client.lib": "py"}
    assert sent.producer_id is None and sent.sequence is None


async def test_more_headers_than_the_broker_allows_are_refused() -> None:
    small = limits(max_frame_bytes=1 << 20, max_batch_messages=10, max_headers=2, max_prefetch=10)
    broker = await FakeBroker(handshake=answer_hello_with(hello_ok(limits=small))).start()
    broker.answer(TopologyRequest, lambda frame: topology(("q", 1)))
    try:
        async with SinewClient.connect(options_for(broker)) as client:
            with pytest.raises(InvalidArgumentError) as caught:
                await client.create_publisher("q").publish(OutgoingMessage(b"", headers={"a": "1", "b": "2", "c": "3"}))
            assert (caught.value.argument, caught.value.reason) == ("headers", "too_many")
    finally:
        await broker.stop()


async def test_a_publisher_refuses_invalid_names_before_anything_is_sent(broker: FakeBroker, client: SinewClient) -> None:
    for topic, group, reason in (("", None, "empty"), ("a b", None, "whitespace"), ("q", "$sys", "reserved_prefix")):
        with pytest.raises(InvalidArgumentError) as caught:
            client.create_publisher(topic, PublisherOptions(group=group) if group else None)
        assert caught.value.reason == reason
    with pytest.raises(InvalidArgumentError):
        await client.declare_queue("orders/eu")
    assert len(broker.received) == 1  # only Hello


async def test_groups_are_normalised_before_sending(broker: FakeBroker, client: SinewClient) -> None:
    info = await client.declare_queue("orders", QueueOptions(group="default"))
    assert info.group is None
    await client.create_publisher("orders", PublisherOptions(group="")).publish(OutgoingMessage(b""))
    sent = broker.frames(Publish)[0].message
    assert isinstance(sent, Publish) and sent.group is None


async def test_a_redirect_refreshes_the_routes_and_the_message_is_sent_again(
    broker: FakeBroker, client: SinewClient
) -> None:
    broker.answer(TopologyRequest, lambda frame: topology(("orders", 2)))
    await client.declare_queue("orders", QueueOptions(partitions=2))
    publisher = client.create_publisher("orders")
    await publisher.publish(OutgoingMessage(b"first"))
    assert broker.frames(TopologyRequest) == []  # the declare taught the partition count
    redirected = iter([True])
    broker.answer(Publish, lambda frame: error(
        ERROR_REDIRECT, "routing moved", retryable=True, details={"routing_version": "2"}
    ) if next(redirected, False) else publish_ok_at(frame))
    receipt = await publisher.publish(OutgoingMessage(b"", key="k"))
    assert receipt.partition == partition_for_key("k", 2)
    assert len(broker.frames(TopologyRequest)) == 1  # refreshed when the redirect arrived
    sent = broker.frames(Publish)[-1].message
    assert isinstance(sent, Publish) and sent.routing_version == 1


async def test_a_keyed_message_to_an_unknown_queue_carries_its_key_and_no_partition(
    broker: FakeBroker, client: SinewClient
) -> None:
    broker.answer(TopologyRequest, lambda frame: error(ERROR_UNAVAILABLE, "not now", retryable=True))
    broker.answer(Publish, lambda frame: error(ERROR_NOT_FOUND, "queue orders does not exist"))
    with pytest.raises(BrokerError):
        await client.create_publisher("orders").publish(OutgoingMessage(b"", key="customer-7"))
    with pytest.raises(BrokerError):
        await client.create_publisher("orders").publish(OutgoingMessage(b""))
    keyed, keyless = (frame.message for frame in broker.frames(Publish))
    assert isinstance(keyed, Publish) and isinstance(keyless, Publish)
    assert (keyed.message.partition_key, keyed.message.partition) == (b"customer-7", None)
    assert (keyless.message.partition_key, keyless.message.partition) == (None, 0)


async def test_frames_queued_together_leave_in_one_write(broker: FakeBroker, client: SinewClient) -> None:
    await client.declare_queue("orders")
    publisher = client.create_publisher("orders")
    connection = client._core.connection
    assert connection is not None
    await publisher.publish(OutgoingMessage(b"warm-up"))
    writes_before = connection.writes_issued
    await asyncio.gather(*(publisher.publish_unconfirmed(OutgoingMessage(bytes([n]))) for n in range(20)))
    await broker.wait_for(lambda: len(broker.frames(Publish)) == 21)
    assert connection.writes_issued - writes_before <= 2
    assert connection.frames_written >= 21
