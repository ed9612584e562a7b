"""Reconnection: the next operation reconnects under the policy's bounds, what was in flight
fails with `ConnectionLostError` and is not replayed, and handles keep working."""

from __future__ import annotations

import asyncio

import pytest
from support.options import options_for
from support.fake_broker import FakeBroker

from sinew import (
    ClientClosedError,
    ConnectionLostError,
    OutgoingMessage,
    QueueOptions,
    ReconnectPolicy,
    SinewClient,
    SinewConnectionError,
    SubscribeOptions,
)
from sinew.wire import GoingAway, Hello, Opcode, Publish, Reconcile


async def _drop(broker: FakeBroker, client: SinewClient) -> None:
    broker.drop_connections()
    await broker.wait_for(lambda: not client.is_connected)


async def test_the_next_operation_reconnects_after_a_drop(broker: FakeBroker, client: SinewClient) -> None:
    await client.declare_queue("orders")
    await _drop(broker, client)
    assert (await client.declare_queue("orders")).created is False
    assert client.is_connected and broker.connections_accepted == 2


async def test_in_flight_operations_fail_with_connection_lost_and_are_not_replayed(
    broker: FakeBroker, client: SinewClient
) -> None:
    await client.declare_queue("orders")
    publisher = client.create_publisher("orders")
    broker.held.add(Opcode.PUBLISH)
    in_flight = [asyncio.ensure_future(publisher.publish(OutgoingMessage(bytes([n])))) for n in range(3)]
    await broker.wait_for(lambda: len(broker.frames(Publish)) == 3)
    broker.drop_connections()
    for future in in_flight:
        with pytest.raises(ConnectionLostError) as caught:
            await future
        assert caught.value.is_retryable and "not replayed" in caught.value.message
    broker.held.clear()
    receipt = await publisher.publish(OutgoingMessage(b"after"))
    assert receipt.offset == 0  # none of the three was stored or resent
    assert len(broker.frames(Publish)) == 4


async def test_concurrent_operations_share_one_reconnect(broker: FakeBroker, client: SinewClient) -> None:
    await _drop(broker, client)
    await asyncio.gather(*(client.declare_queue(f"q{n}") for n in range(5)))
    assert broker.connections_accepted == 2


async def test_reconnecting_gives_up_after_max_attempts_with_growing_backoff(broker: FakeBroker) -> None:
    policy = ReconnectPolicy(max_attempts=3, initial_delay=0.05, max_delay=1, jitter=0)
    async with SinewClient.connect(options_for(broker, reconnect=policy)) as client:
        await _drop(broker, client)
        broker.refuse_connections = True
        with pytest.raises(SinewConnectionError) as caught:
            await client.declare_queue("orders")
        assert "3 attempt(s)" in caught.value.message and caught.value.is_retryable
        assert broker.connections_accepted == 1 + 3
        waits = [later - earlier for earlier, later in zip(broker.accepted_at[1:], broker.accepted_at[2:])]
        assert waits[0] >= 0.05 and waits[1] >= 0.1
        # The next operation starts over, and succeeds once the broker is back.
        broker.refuse_connections = False
        assert (await client.declare_queue("orders")).created


async def test_with_reconnect_disabled_a_dropped_connection_stays_down(broker: FakeBroker) -> None:
    async with SinewClient.connect(options_for(broker, reconnect=ReconnectPolicy.disabled())) as client:
        await _drop(broker, client)
        with pytest.raises(ConnectionLostError, match="reconnecting is disabled"):
            await client.declare_queue("orders")
        assert broker.connections_accepted == 1


async def test_a_reconnect_opens_a_new_session_without_resume_or_reconcile(
    broker: FakeBroker, client: SinewClient
) -> None:
    await client.declare_queue("orders")
    await _drop(broker, client)
    await client.declare_queue("orders")
    hellos = broker.messages(Hello)
    assert len(hellos) == 2
    assert all(isinstance(hello, Hello) and hello.resume_token is None for hello in hellos)
    assert broker.messages(Reconcile) == []


async def test_publishers_keep_working_and_routing_after_a_reconnect(broker: FakeBroker, client: SinewClient) -> None:
    await client.declare_queue("orders", QueueOptions(partitions=2))
    publisher = client.create_publisher("orders")
    assert (await publisher.publish(OutgoingMessage(b""))).partition == 0
    await _drop(broker, client)
    assert (await publisher.publish(OutgoingMessage(b""))).partition == 1
    assert (await publisher.publish(OutgoingMessage(b""))).partition == 0


async def test_a_subscription_ended_by_a_drop_can_be_replaced_after_reconnect(broker: FakeBroker, client: SinewClient) -> None:
    broker.add_queue("orders")
    old = await client.subscribe("orders", SubscribeOptions(partition=0))
    await _drop(broker, client)
    assert not old.is_active
    async with client.subscribe("orders", SubscribeOptions(partition=0)) as fresh:
        broker.store("orders", b"x")
        assert (await fresh.next(timeout=2)).payload == b"x"


async def test_going_away_points_the_next_connection_at_its_target(broker: FakeBroker, client: SinewClient) -> None:
    other = await FakeBroker().start()
    try:
        broker.push(GoingAway(deadline_at_ms=0, message="draining", reconnect_to=other.address))
        await client.topology()  # the push has been read once a later reply arrives
        await _drop(broker, client)
        await client.declare_queue("orders")
        assert other.connections_accepted == 1 and broker.connections_accepted == 1
    finally:
        await other.stop()


async def test_closing_during_the_reconnect_backoff_raises_client_closed(broker: FakeBroker) -> None:
    policy = ReconnectPolicy(max_attempts=5, initial_delay=1, max_delay=1, jitter=0)
    client = await SinewClient.connect(options_for(broker, reconnect=policy))
    await _drop(broker, client)
    broker.refuse_connections = True
    pending = asyncio.ensure_future(client.declare_queue("orders"))
    await broker.wait_for(lambda: broker.connections_accepted == 2)
    await client.close()
    with pytest.raises(ClientClosedError):
        await asyncio.wait_for(pending, 0.5)


async def test_a_dropped_connection_is_reported_to_on_error_but_a_close_is_not(broker: FakeBroker) -> None:
    from sinew import SinewError

    seen: list[SinewError] = []
    async with SinewClient.connect(options_for(broker, on_error=seen.append)) as client:
        await _drop(broker, client)
        assert len(seen) == 1 and isinstance(seen[0], ConnectionLostError)
        await client.declare_queue("orders")
    assert len(seen) == 1


async def test_closing_abandons_a_connection_attempt_in_progress(broker: FakeBroker) -> None:
    from support.fake_broker import start_silent_server

    silent, silent_address = await start_silent_server()
    try:
        options = options_for(broker, endpoints=[broker.address, silent_address], connect_timeout=10)
        client = await SinewClient.connect(options)
        await _drop(broker, client)
        broker.refuse_connections = True  # the first endpoint fails, the second never answers
        pending = asyncio.ensure_future(client.declare_queue("orders"))
        await broker.wait_for(lambda: broker.connections_accepted == 2)
        await asyncio.sleep(0.05)
        await client.close()
        with pytest.raises(ClientClosedError):
            await asyncio.wait_for(pending, 1)
    finally:
        silent.close()
