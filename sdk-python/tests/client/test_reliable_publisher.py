"""`ReliablePublisher`: idempotency keys on every message, bounded retries of retryable
failures only, and the same partition on each retry.

A publish whose confirmation is lost with the connection, and a reconnect that fails during a
retry, run against the real broker behind the fault proxy (tests/broker/test_broker_faults.py,
tests/broker/test_broker_reconnecting.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from support.fake_broker import FakeBroker
from support.scripted_frames import (
    ERROR_NOT_FOUND,
    ERROR_RESOURCE_EXHAUSTED,
    ERROR_UNAVAILABLE,
    Reply,
    declare_queue_ok_for,
    error,
    publish_ok_at,
    topology,
)

from sinew import (
    BrokerError,
    OutgoingMessage,
    QueueOptions,
    ReliablePublisherOptions,
    SinewClient,
)
from sinew.wire import DeclareQueue, Frame, Publish, PublishBatch, PublishMessage, TopologyRequest

FAST = {"initial_retry_delay": 0.001, "max_retry_delay": 0.01}


@pytest.fixture(autouse=True)
def confirming(broker: FakeBroker) -> None:
    """Declares are accepted as asked, an unknown queue is absent from the topology, and
    publishes are confirmed in the client's partitions; tests script failures over these."""
    broker.answer(DeclareQueue, declare_queue_ok_for)
    broker.answer(TopologyRequest, lambda frame: topology())
    broker.answer(Publish, publish_ok_at)
    broker.answer(PublishBatch, publish_ok_at)


class FailingFirst:
    """Answers publishes with the given failures in turn, then confirms them."""

    def __init__(self, *failures: Reply) -> None:
        self._failures: Iterator[Reply | None] = iter(failures)

    def __call__(self, frame: Frame) -> Reply:
        failure = next(self._failures, None)
        return failure if failure is not None else publish_ok_at(frame)


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
    broker.answer(Publish, FailingFirst(
        error(ERROR_UNAVAILABLE, "busy", retryable=True),
        error(ERROR_RESOURCE_EXHAUSTED, "full", retryable=True),
    ))
    publisher = client.create_reliable_publisher("orders", ReliablePublisherOptions(**FAST))
    await publisher.publish(OutgoingMessage(b"warm"))  # the first attempts fail, the third works
    sent = _sent(broker)
    assert len(sent) == 3
    assert len({(m.producer_id, m.sequence, m.partition) for m in sent}) == 1


async def test_non_retryable_failures_are_raised_at_once(broker: FakeBroker, client: SinewClient) -> None:
    broker.answer(Publish, lambda frame: error(ERROR_NOT_FOUND, "queue missing does not exist"))
    publisher = client.create_reliable_publisher("missing", ReliablePublisherOptions(**FAST))
    with pytest.raises(BrokerError) as caught:
        await publisher.publish(OutgoingMessage(b""))
    assert caught.value.code == "not_found"
    assert len(_sent(broker)) == 1


async def test_retries_stop_after_max_attempts_with_the_last_error(broker: FakeBroker, client: SinewClient) -> None:
    await client.declare_queue("orders")
    broker.answer(Publish, FailingFirst(*(error(ERROR_UNAVAILABLE, "still busy", retryable=True) for _ in range(5))))
    publisher = client.create_reliable_publisher("orders", ReliablePublisherOptions(max_attempts=3, **FAST))
    with pytest.raises(BrokerError) as caught:
        await publisher.publish(OutgoingMessage(b""))
    assert caught.value.code == "unavailable"
    assert len(_sent(broker)) == 3
