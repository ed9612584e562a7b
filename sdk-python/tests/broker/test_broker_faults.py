"""The client against the real broker with the fault proxy between them: reconnection after a
cut, operations in flight that fail and are never replayed, a subscription cut mid-way, a
half-closed connection, a silent broker, a server that accepts and never answers, a stalled
write and a lost confirmation. These used to run against the fake broker's model of queues, or
could not be written without a fault.

The module shares one broker; each test puts a fault proxy of its own in front of it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

import pytest
from support.fault_proxy import FaultProxy, running_proxy
from support.integration import broker_options, take
from support.real_broker import RealBroker

from sinew import (
    AckMode,
    ConnectionLostError,
    OperationTimeoutError,
    OutgoingMessage,
    ReconnectPolicy,
    ReliablePublisherOptions,
    SinewClient,
    SinewConnectionError,
    SubscribeOptions,
    SubscriptionEndedError,
    SubscriptionEndReason,
)


@pytest.fixture
def proxy(module_broker: RealBroker) -> Iterator[FaultProxy]:
    with running_proxy(module_broker.address) as started:
        yield started


@pytest.fixture
async def client(proxy: FaultProxy) -> AsyncIterator[SinewClient]:
    async with SinewClient.connect(broker_options(proxy.address)) as connected:
        yield connected


def connect(proxy: FaultProxy, **overrides: Any) -> Any:
    return SinewClient.connect(broker_options(proxy.address, **overrides))


async def _wait_until(condition: Any, what: str, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"timed out waiting until {what}"
        await asyncio.sleep(0.01)


async def _cut_and_wait(proxy: FaultProxy, client: SinewClient) -> None:
    proxy.cut()
    await _wait_until(lambda: not client.is_connected, "the client noticed the drop")


def _bytes_read(proxy: FaultProxy, direction: Literal["up", "down"]) -> int:
    (connection,) = proxy.connections().open
    flow = connection.up if direction == "up" else connection.down
    assert flow is not None
    return flow.read


async def _written(proxy: FaultProxy, direction: Literal["up", "down"], baseline: int, what: str) -> None:
    """Returns once the proxy has read more than `baseline` bytes one way: the sender wrote."""
    await _wait_until(lambda: _bytes_read(proxy, direction) > baseline, what)


async def test_a_silent_server_fails_after_the_connect_timeout(proxy: FaultProxy) -> None:
    proxy.blackhole("new")
    with pytest.raises(SinewConnectionError, match="connect_timeout"):
        await SinewClient.connect(broker_options(proxy.address, connect_timeout=0.2))


async def test_the_next_operation_reconnects_after_a_drop(proxy: FaultProxy, client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name)
    await _cut_and_wait(proxy, client)
    assert (await client.declare_queue(queue_name)).created is False
    assert client.is_connected and proxy.connections().accepted == 2


async def test_in_flight_operations_fail_with_connection_lost_and_are_not_replayed(
    proxy: FaultProxy, client: SinewClient, queue_name: str
) -> None:
    await client.declare_queue(queue_name)
    publisher = client.create_publisher(queue_name)
    # What the client writes from now on is read by the proxy and never reaches the broker.
    before = _bytes_read(proxy, "up")
    proxy.close_after(0, "up", "drop")
    in_flight = [asyncio.ensure_future(publisher.publish(OutgoingMessage(bytes([n])))) for n in range(3)]
    await _written(proxy, "up", before, "the publishes were written")
    proxy.cut()
    for future in in_flight:
        with pytest.raises(ConnectionLostError) as caught:
            await future
        assert caught.value.is_retryable and "not replayed" in caught.value.message
    receipt = await publisher.publish(OutgoingMessage(b"after"))
    assert receipt.offset == 0  # none of the three was stored or resent
    async with await client.subscribe(queue_name, SubscribeOptions(ack_mode=AckMode.AUTO)) as subscription:
        assert [delivery.payload for delivery in await take(subscription, 1)] == [b"after"]
        with pytest.raises(TimeoutError):
            await subscription.receive(timeout=0.3)


async def test_concurrent_operations_share_one_reconnect(proxy: FaultProxy, client: SinewClient, queue_name: str) -> None:
    await _cut_and_wait(proxy, client)
    await asyncio.gather(*(client.declare_queue(f"{queue_name}.q{n}") for n in range(5)))
    assert proxy.connections().accepted == 2


async def test_with_reconnect_disabled_a_dropped_connection_stays_down(proxy: FaultProxy, queue_name: str) -> None:
    async with connect(proxy, reconnect=ReconnectPolicy.disabled()) as client:
        await _cut_and_wait(proxy, client)
        with pytest.raises(ConnectionLostError, match="reconnecting is disabled"):
            await client.declare_queue(queue_name)
        assert proxy.connections().accepted == 1


async def test_a_subscription_ended_by_a_drop_can_be_replaced_after_reconnect(
    proxy: FaultProxy, client: SinewClient, queue_name: str
) -> None:
    await client.declare_queue(queue_name)
    old = await client.subscribe(queue_name, SubscribeOptions(partition=0))
    await _cut_and_wait(proxy, client)
    assert not old.is_active
    async with await client.subscribe(queue_name, SubscribeOptions(partition=0)) as fresh:
        await client.create_publisher(queue_name).publish(OutgoingMessage(b"x"))
        assert (await fresh.receive(timeout=2)).payload == b"x"


async def test_a_lost_connection_ends_iteration_with_connection_lost(
    proxy: FaultProxy, client: SinewClient, queue_name: str
) -> None:
    await client.declare_queue(queue_name)
    await client.create_publisher(queue_name).publish(OutgoingMessage(b"a"))
    subscription = await client.subscribe(queue_name)
    delivery = await subscription.receive(timeout=5)
    proxy.cut()
    with pytest.raises(SubscriptionEndedError) as caught:
        await subscription.receive(timeout=10)
    assert caught.value.reason == SubscriptionEndReason.CONNECTION_LOST and caught.value.is_retryable
    # Its connection is gone, so the broker redelivers it; settling says so.
    with pytest.raises(ConnectionLostError):
        await delivery.ack()
    assert not delivery.is_settled


async def test_an_unsettled_delivery_cut_off_with_its_connection_is_redelivered_after_reconnecting(
    proxy: FaultProxy, client: SinewClient, queue_name: str
) -> None:
    await client.declare_queue(queue_name)
    publisher = client.create_publisher(queue_name)
    await publisher.publish(OutgoingMessage.from_text("first"))
    subscription = await client.subscribe(queue_name)
    (first,) = await take(subscription, 1)
    assert (first.payload, first.attempt) == (b"first", 1)
    proxy.cut()
    with pytest.raises(SubscriptionEndedError) as ended:
        await subscription.receive(timeout=10)
    assert ended.value.reason == SubscriptionEndReason.CONNECTION_LOST

    async with await client.subscribe(queue_name) as again:
        # The broker keeps the broken session dormant for its reconnect grace window (5 s by default) before it
        # returns the message; this client does not resume sessions yet.
        (redelivered,) = await take(again, 1, timeout=15)
        assert (redelivered.payload, redelivered.attempt) == (b"first", 2)
        await redelivered.ack()
        await publisher.publish(OutgoingMessage.from_text("second"))
        assert [delivery.payload for delivery in await take(again, 1)] == [b"second"]
    assert proxy.connections().accepted == 2


async def test_a_connection_half_closed_from_the_broker_side_is_noticed(
    proxy: FaultProxy, client: SinewClient, queue_name: str
) -> None:
    await client.declare_queue(queue_name)
    subscription = await client.subscribe(queue_name)
    proxy.half_close("down")
    with pytest.raises(SubscriptionEndedError) as ended:
        await subscription.receive(timeout=10)
    assert ended.value.reason == SubscriptionEndReason.CONNECTION_LOST
    await _wait_until(lambda: not client.is_connected, "the client noticed the end of the stream")
    assert (await client.declare_queue(queue_name)).created is False
    assert proxy.connections().accepted == 2


async def test_a_broker_whose_messages_stop_arriving_is_declared_dead_after_three_intervals(
    proxy: FaultProxy, queue_name: str
) -> None:
    # The broker takes the client's proposal; one second is the shortest it accepts.
    async with connect(proxy, heartbeat=1.0) as client:
        await client.declare_queue(queue_name)
        subscription = await client.subscribe(queue_name)
        proxy.stall("down")
        pending = asyncio.ensure_future(client.declare_queue(queue_name))
        with pytest.raises(ConnectionLostError) as caught:
            await asyncio.wait_for(pending, 15)
        assert "three heartbeat intervals" in caught.value.message
        with pytest.raises(SubscriptionEndedError) as ended:
            await subscription.receive(timeout=1)
        assert ended.value.reason == SubscriptionEndReason.CONNECTION_LOST


async def test_a_confirmed_publish_whose_write_is_stalled_times_out(proxy: FaultProxy, queue_name: str) -> None:
    async with connect(proxy, request_timeout=0.5) as client:
        await client.declare_queue(queue_name)
        proxy.stall("up")
        with pytest.raises(OperationTimeoutError) as caught:
            await client.create_publisher(queue_name).publish(OutgoingMessage(b"late"))
        assert caught.value.code == "timeout" and caught.value.is_retryable


async def test_a_publish_whose_confirmation_was_lost_is_retried_and_stored_once(
    proxy: FaultProxy, client: SinewClient, queue_name: str
) -> None:
    await client.declare_queue(queue_name)
    publisher = client.create_reliable_publisher(queue_name, ReliablePublisherOptions(initial_retry_delay=0.01))
    # Stored, but the confirmation never reaches the client: the proxy swallows it, then the
    # connection dies.
    before = _bytes_read(proxy, "down")
    proxy.close_after(0, "down", "drop")
    publishing = asyncio.ensure_future(publisher.publish(OutgoingMessage(b"once")))
    await _written(proxy, "down", before, "the broker confirmed the publish")
    proxy.cut()
    receipt = await publishing
    assert receipt.duplicate and receipt.offset == 0
    assert proxy.connections().accepted == 2
    async with await client.subscribe(queue_name, SubscribeOptions(ack_mode=AckMode.AUTO)) as subscription:
        assert [delivery.payload for delivery in await take(subscription, 1)] == [b"once"]
        with pytest.raises(TimeoutError):
            await subscription.receive(timeout=0.3)
