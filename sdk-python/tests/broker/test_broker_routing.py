"""Partition routing against the real broker: keys go to their FNV-1a partition and keep
their order, keyless messages take turns, and a subscription fans in every partition with
each delivery settled on its own partition."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest
from support.integration import broker_options, take
from support.real_broker import RealBroker

from sinew import AckMode, OutgoingMessage, QueueOptions, SinewClient, SubscribeOptions
from sinew.routing import partition_for_key

KEYS = ["customer-1", "customer-2", "customer-3", "ключ-4", "🔑-5", "customer-6"]


async def test_a_keyed_message_goes_to_the_fnv1a_partition_of_its_key(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name, QueueOptions(partitions=4))
    publisher = client.create_publisher(queue_name)
    for key in KEYS:
        receipt = await publisher.publish(OutgoingMessage.from_text(key, key=key))
        assert receipt.partition == partition_for_key(key, 4), key
    binary = await publisher.publish(OutgoingMessage(b"", key=b"\x00\xff\x10"))
    assert binary.partition == partition_for_key(b"\x00\xff\x10", 4)


async def test_the_broker_routes_a_key_the_same_way_without_the_client_naming_a_partition(
    client: SinewClient, queue_name: str
) -> None:
    await client.declare_queue(queue_name, QueueOptions(partitions=5))
    client._core.cache.forget(queue_name, None)  # no routing information
    publisher = client.create_publisher(queue_name)
    publisher._pipeline._route_learned = True  # and none is fetched
    for key in KEYS:
        receipt = await publisher.publish(OutgoingMessage.from_text(key, key=key))
        assert receipt.partition == partition_for_key(key, 5), key


async def test_messages_with_the_same_key_keep_their_order(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name, QueueOptions(partitions=3))
    publisher = client.create_publisher(queue_name)
    sent = [(key, n) for n in range(5) for key in KEYS[:4]]
    confirmations = [
        await publisher.publish_with_confirmation(OutgoingMessage.from_json([key, n], key=key)) for key, n in sent
    ]
    await asyncio.gather(*confirmations)
    by_key: dict[str, list[int]] = defaultdict(list)
    async with client.subscribe(queue_name, SubscribeOptions(ack_mode=AckMode.AUTO)) as subscription:
        for delivery in await take(subscription, len(sent)):
            key, n = delivery.json()
            assert delivery.partition == partition_for_key(key, 3)
            by_key[key].append(n)
    assert by_key == {key: list(range(5)) for key in KEYS[:4]}


async def test_keyless_messages_take_turns_over_the_partitions(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name, QueueOptions(partitions=3))
    publisher = client.create_publisher(queue_name)
    receipts = [await publisher.publish(OutgoingMessage.from_text(str(n))) for n in range(7)]
    assert [r.partition for r in receipts] == [0, 1, 2, 0, 1, 2, 0]
    batch = await publisher.publish_batch(OutgoingMessage(b"") for _ in range(3))
    assert [r.partition for r in batch] == [1, 2, 0]


async def test_a_publisher_learns_the_partitions_of_a_queue_declared_elsewhere(
    client: SinewClient, queue_name: str, module_broker: RealBroker
) -> None:
    await client.declare_queue(queue_name, QueueOptions(partitions=2))
    async with SinewClient.connect(broker_options(module_broker)) as other:
        publisher = other.create_publisher(queue_name)
        receipts = [await publisher.publish(OutgoingMessage(b"")) for _ in range(4)]
    assert [r.partition for r in receipts] == [0, 1, 0, 1]


async def test_a_subscription_fans_in_every_partition(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name, QueueOptions(partitions=4))
    publisher = client.create_publisher(queue_name)
    await publisher.publish_batch(OutgoingMessage.from_text(f"p{n % 4}") for n in range(8))
    async with client.subscribe(queue_name) as subscription:
        assert subscription.partitions == (0, 1, 2, 3)
        received = await take(subscription, 8)
        assert sorted(d.partition for d in received) == [0, 0, 1, 1, 2, 2, 3, 3]
        assert all(d.text() == f"p{d.partition}" for d in received)
        # Each settles on its own partition: one retried, the rest acknowledged together.
        retried = next(d for d in received if d.partition == 2)
        await asyncio.gather(retried.retry(), *(d.ack() for d in received if d is not retried))
        again = await subscription.receive(timeout=5)
        assert (again.partition, again.offset, again.attempt) == (2, retried.offset, 2)
        await again.ack()
        with pytest.raises(TimeoutError):
            await subscription.receive(timeout=0.2)


async def test_one_partition_can_be_consumed_alone(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name, QueueOptions(partitions=3))
    await client.create_publisher(queue_name).publish_batch(OutgoingMessage.from_text(str(n)) for n in range(6))
    async with client.subscribe(queue_name, SubscribeOptions(partition=1)) as subscription:
        assert subscription.partitions == (1,)
        received = await take(subscription, 2)
        assert [d.text() for d in received] == ["1", "4"]
        with pytest.raises(TimeoutError):
            await subscription.receive(timeout=0.2)
