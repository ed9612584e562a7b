"""Closing against the real broker: what a closing client gives back to the queue, and what
its subscriptions, publishers and buffered deliveries do once it is closed."""

from __future__ import annotations

import asyncio

import pytest
from support.integration import broker_options, take
from support.real_broker import RealBroker

from sinew import (
    AckMode,
    ClientClosedError,
    OutgoingMessage,
    SinewClient,
    SubscribeOptions,
    SubscriptionEndedError,
    SubscriptionEndReason,
)


async def test_goodbye_returns_unsettled_deliveries_to_the_queue(
    client: SinewClient, queue_name: str, module_broker: RealBroker
) -> None:
    await client.declare_queue(queue_name)
    await client.create_publisher(queue_name).publish(OutgoingMessage(b"a"))
    leaving = await SinewClient.connect(broker_options(module_broker))
    async with leaving:
        subscription = await leaving.subscribe(queue_name)
        await take(subscription, 1)
        waiting = await client.subscribe(queue_name)
        with pytest.raises(TimeoutError):
            await waiting.receive(timeout=0.2)  # leased to the leaving client, not ready
    async with waiting:
        (returned,) = await take(waiting, 1)
    assert (returned.payload, returned.attempt) == (b"a", 2)


async def test_publishing_after_close_raises_client_closed(module_broker: RealBroker) -> None:
    client = await SinewClient.connect(broker_options(module_broker))
    publisher = client.create_publisher("orders")
    await client.close()
    with pytest.raises(ClientClosedError):
        await publisher.publish(OutgoingMessage(b""))
    with pytest.raises(ClientClosedError):
        client.create_publisher("orders")


async def test_closing_the_client_ends_iteration_with_client_closed(module_broker: RealBroker, queue_name: str) -> None:
    client = await SinewClient.connect(broker_options(module_broker))
    await client.declare_queue(queue_name)
    subscription = await client.subscribe(queue_name)
    waiting = asyncio.ensure_future(subscription.receive(timeout=5))
    await asyncio.sleep(0.01)
    await client.close()
    with pytest.raises(SubscriptionEndedError) as caught:
        await waiting
    assert caught.value.reason == SubscriptionEndReason.CLIENT_CLOSED and not caught.value.is_retryable


async def test_with_auto_ack_a_client_close_drops_what_was_not_handed_out(
    module_broker: RealBroker, queue_name: str
) -> None:
    client = await SinewClient.connect(broker_options(module_broker))
    await client.declare_queue(queue_name)
    subscription = await client.subscribe(queue_name, SubscribeOptions(ack_mode=AckMode.AUTO))
    await client.create_publisher(queue_name).publish(OutgoingMessage(b"a"))
    async with asyncio.timeout(5):
        while subscription.buffered != 1:
            await asyncio.sleep(0.005)
    await client.close()
    with pytest.raises(SubscriptionEndedError) as caught:
        await subscription.receive(timeout=1)
    assert caught.value.reason == SubscriptionEndReason.CLIENT_CLOSED
