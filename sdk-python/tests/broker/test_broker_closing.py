"""Closing against the real broker: what a closing client gives back to the queue, and what
its subscriptions, publishers and buffered deliveries do once it is closed."""

from __future__ import annotations

import pytest
from support.integration import broker_options, take
from support.real_broker import RealBroker

from sinew import ClientClosedError, OutgoingMessage, SinewClient


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
            await waiting.next(timeout=0.2)  # leased to the leaving client, not ready
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
