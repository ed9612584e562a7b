"""Settling more deliveries in one loop iteration than the broker takes in one list
(`limits.max_list_items`, protocol section 2.4): the client splits the coalesced settlements
into frames within the limit the broker announced. This broker takes at most 16 entries per
list and refuses any longer `Ack`, `Nack` or `ExtendLease` outright, so a batch that was not
split fails here."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from support.integration import broker_options, take
from support.real_broker import QUICK_SHUTDOWN, RealBroker, running_broker

from sinew import (
    Delivery,
    OutgoingMessage,
    QueueOptions,
    SinewClient,
    SubscribeOptions,
    Subscription,
)

LIMIT = 16
MESSAGES = 20 * LIMIT


@pytest.fixture(scope="module")
def small_list_broker() -> Iterator[RealBroker]:
    with running_broker(
        *QUICK_SHUTDOWN,
        "--set", f"limits.max_list_items={LIMIT}",
        "--set", f"queues.max_partitions={LIMIT}",
    ) as broker:
        yield broker


@pytest.fixture
async def small_list_client(small_list_broker: RealBroker) -> AsyncIterator[SinewClient]:
    connected = await SinewClient.connect(broker_options(small_list_broker))
    yield connected
    await connected.close()


async def _hold(client: SinewClient, topic: str) -> tuple[Subscription, list[Delivery]]:
    await client.declare_queue(topic, QueueOptions(lease=0.8))
    publisher = client.create_publisher(topic)
    for start in range(0, MESSAGES, LIMIT):
        await publisher.publish_batch(
            OutgoingMessage.from_text(f"m{n}") for n in range(start, start + LIMIT)
        )
    subscription = await client.subscribe(topic, SubscribeOptions(prefetch=MESSAGES))
    return subscription, await take(subscription, MESSAGES, timeout=10)


async def test_acks_of_one_iteration_beyond_the_list_limit_are_split_into_accepted_frames(
    small_list_client: SinewClient, queue_name: str
) -> None:
    subscription, deliveries = await _hold(small_list_client, queue_name)
    async with subscription:
        # Issued in one iteration, all 320 acks coalesce; unsplit, the broker would refuse them.
        await asyncio.gather(*(delivery.ack() for delivery in deliveries))
        assert all(delivery.is_settled for delivery in deliveries)
        # Settled for real: nothing comes back once the 0.8 s leases would have run out.
        with pytest.raises(TimeoutError):
            await subscription.receive(timeout=1.5)


async def test_lease_extensions_and_retries_beyond_the_list_limit_are_split_too(
    small_list_client: SinewClient, queue_name: str
) -> None:
    subscription, deliveries = await _hold(small_list_client, queue_name)
    async with subscription:
        await asyncio.gather(*(delivery.extend_lease(30) for delivery in deliveries))
        await asyncio.gather(*(delivery.retry() for delivery in deliveries))
        # Every retry was accepted: each message comes back once, as its second attempt.
        again = await take(subscription, MESSAGES, timeout=10)
        assert {delivery.attempt for delivery in again} == {2}
        assert len({delivery.text() for delivery in again}) == MESSAGES
        await asyncio.gather(*(delivery.ack() for delivery in again))
