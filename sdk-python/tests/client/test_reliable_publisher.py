"""`ReliablePublisher`: idempotency keys on every message, bounded retries of retryable
failures only, and the same partition on each retry.

A publish whose confirmation is lost with the connection runs against the real broker behind the
fault proxy (tests/broker/test_broker_faults.py)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from collections.abc import AsyncIterator
from support.options import options_for
from support.queue_model_broker import FakeBroker

from sinew import (
    BrokerError,
    OutgoingMessage,
    QueueOptions,
    ReliablePublisherOptions,
    SinewClient,
    SinewConnectionError,
)
from sinew.wire import Opcode, Publish, PublishBatch, PublishMessage

FAST = {"initial_retry_delay": 0.001, "max_retry_delay": 0.01}


def _sent(broker: FakeBroker) -> list[PublishMessage]:
    sent: list[PublishMessage] = []
    for frame in broker.frames(Publish) + broker.frames(PublishBatch):
        if isinstance(frame.message, Publish):
            sent.append(frame.message.message)
        elif isinstance(frame.message, PublishBatch):
            sent.extend(frame.message.messages)
    return sent


async def test_messages_carry_the_producer_id_and_increasing_sequences(broker: FakeBroker, client: SinewClient) -> None:
    await client.declare_queue("orders")
    publisher = client.create_reliable_publisher("orders")
    uuid.UUID(publisher.producer_id)  # a random UUID unless given
    await publisher.publish(OutgoingMessage(b"a"))
    await publisher.publish_batch([OutgoingMessage(b"b"), OutgoingMessage(b"c")])
    assert [(m.producer_id, m.sequence) for m in _sent(broker)] == [(publisher.producer_id, n) for n in (1, 2, 3)]
    assert publisher.next_sequence == 4


async def test_a_given_producer_id_and_first_sequence_are_used(broker: FakeBroker, client: SinewClient) -> None:
    await client.declare_queue("orders")
    options = ReliablePublisherOptions(producer_id="billing-1", first_sequence=100)
    await client.create_reliable_publisher("orders", options).publish(OutgoingMessage(b""))
    (sent,) = _sent(broker)
    assert (sent.producer_id, sent.sequence) == ("billing-1", 100)


async def test_retryable_failures_are_retried_with_the_same_identity(broker: FakeBroker, client: SinewClient) -> None:
    await client.declare_queue("orders", QueueOptions(partitions=3))
    broker.fail_next(Opcode.PUBLISH, 13, "busy", retryable=True)
    broker.fail_next(Opcode.PUBLISH, 12, "full", retryable=True)
    publisher = client.create_reliable_publisher("orders", ReliablePublisherOptions(**FAST))
    await publisher.publish(OutgoingMessage(b"warm"))  # the first attempts fail, the third works
    sent = _sent(broker)
    assert len(sent) == 3
    assert len({(m.producer_id, m.sequence, m.partition) for m in sent}) == 1


async def test_non_retryable_failures_are_raised_at_once(broker: FakeBroker, client: SinewClient) -> None:
    publisher = client.create_reliable_publisher("missing", ReliablePublisherOptions(**FAST))
    with pytest.raises(BrokerError) as caught:
        await publisher.publish(OutgoingMessage(b""))
    assert caught.value.code == "not_found"
    assert len(_sent(broker)) == 1


async def test_retries_stop_after_max_attempts_with_the_last_error(broker: FakeBroker, client: SinewClient) -> None:
    await client.declare_queue("orders")
    for _ in range(5):
        broker.fail_next(Opcode.PUBLISH, 13, "still busy", retryable=True)
    publisher = client.create_reliable_publisher("orders", ReliablePublisherOptions(max_attempts=3, **FAST))
    with pytest.raises(BrokerError) as caught:
        await publisher.publish(OutgoingMessage(b""))
    assert caught.value.code == "unavailable"
    assert len(_sent(broker)) == 3


async def test_a_failed_reconnect_counts_as_a_retryable_attempt(broker: FakeBroker) -> None:
    from sinew import ReconnectPolicy

    options = options_for(broker, reconnect=ReconnectPolicy(max_attempts=1, initial_delay=0.001, max_delay=0.001))
    async with SinewClient.connect(options) as client:
        await client.declare_queue("orders")
        await broker.stop()
        publisher = client.create_reliable_publisher("orders", ReliablePublisherOptions(max_attempts=2, **FAST))
        with pytest.raises(SinewConnectionError):
            await publisher.publish(OutgoingMessage(b""))
        await asyncio.sleep(0)


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
