"""A subscription's handle, the same in every client: `receive()` hands out one delivery at a
time and raises `ClientClosedError` once the caller closed the subscription, `buffered` counts
what arrived and was not handed out, `is_active` and `completion` follow how the subscription
ends, `completion` never raises, and `next()` is a deprecated alias of `receive()`."""

from __future__ import annotations

import asyncio

import pytest
from support.integration import broker_options
from support.real_broker import RealBroker

from sinew import (
    ClientClosedError,
    OutgoingMessage,
    SinewClient,
    SubscriptionEndedError,
    SubscriptionEndReason,
    blocking,
)


async def _until(condition: object, what: str, timeout: float = 10.0) -> None:
    assert callable(condition)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"timed out waiting until {what}"
        await asyncio.sleep(0.01)


async def test_receive_hands_out_deliveries_in_order_and_raises_client_closed_after_close(
    module_broker: RealBroker, queue_name: str
) -> None:
    async with SinewClient.connect(broker_options(module_broker)) as client:
        await client.declare_queue(queue_name)
        await client.create_publisher(queue_name).publish_batch(
            [OutgoingMessage.from_text(text) for text in ("a", "b", "c")]
        )
        subscription = await client.subscribe(queue_name)
        await _until(lambda: subscription.buffered == 3, "three deliveries arrived")
        first = await subscription.receive(timeout=10)
        assert first.text() == "a"
        assert subscription.buffered == 2
        await first.ack()
        assert (await subscription.receive(timeout=10)).text() == "b"

        assert subscription.is_active
        await asyncio.sleep(0)
        assert not asyncio.ensure_future(subscription.completion).done()
        await subscription.close()
        assert not subscription.is_active
        await asyncio.wait_for(subscription.completion, 10)
        assert subscription.end_reason is None
        with pytest.raises(ClientClosedError):
            await subscription.receive(timeout=1)


async def test_completion_finishes_without_raising_when_the_client_closes(
    module_broker: RealBroker, queue_name: str
) -> None:
    client = await SinewClient.connect(broker_options(module_broker))
    await client.declare_queue(queue_name)
    subscription = await client.subscribe(queue_name)
    receiving = asyncio.ensure_future(subscription.receive())
    await asyncio.sleep(0)

    await client.close()
    await asyncio.wait_for(subscription.completion, 10)
    assert not subscription.is_active
    assert subscription.end_reason is SubscriptionEndReason.CLIENT_CLOSED
    with pytest.raises(SubscriptionEndedError) as raised:
        await receiving
    assert raised.value.reason is SubscriptionEndReason.CLIENT_CLOSED


async def test_cancelling_a_wait_for_completion_cancels_only_the_wait(
    module_broker: RealBroker, queue_name: str
) -> None:
    async with SinewClient.connect(broker_options(module_broker)) as client:
        await client.declare_queue(queue_name)
        async with await client.subscribe(queue_name) as subscription:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(subscription.completion, 0.1)
            assert subscription.is_active
        await asyncio.wait_for(subscription.completion, 10)


async def test_next_is_a_deprecated_alias_of_receive(
    module_broker: RealBroker, queue_name: str
) -> None:
    async with SinewClient.connect(broker_options(module_broker)) as client:
        await client.declare_queue(queue_name)
        await client.create_publisher(queue_name).publish(OutgoingMessage.from_text("old"))
        async with await client.subscribe(queue_name) as subscription:
            with pytest.warns(DeprecationWarning, match="receive"):
                delivery = await subscription.next(timeout=10)
            assert delivery.text() == "old"


def test_the_blocking_subscription_receives_and_completes(
    module_broker: RealBroker, queue_name: str
) -> None:
    with blocking.SinewClient.connect(broker_options(module_broker)) as client:
        client.declare_queue(queue_name)
        client.create_publisher(queue_name).publish(OutgoingMessage.from_text("x"))
        subscription = client.subscribe(queue_name)
        assert subscription.receive(timeout=10).text() == "x"
        completion = subscription.completion
        assert not completion.done()
        subscription.close()
        completion.result(timeout=10)
        assert subscription.completion.done()
        with pytest.raises(ClientClosedError):
            subscription.receive(timeout=1)
