"""Reconnection against the fake broker, where a test must see inside the broker: the times of
connection attempts under the backoff, the Hello frames of each session, a drain notice's
target, and a close during the backoff or during a connection attempt. What a real broker can
show runs against it behind the fault proxy (tests/broker/test_broker_faults.py,
tests/broker/test_broker_reconnecting.py)."""

from __future__ import annotations

import asyncio

import pytest
from support.fake_broker import FakeBroker
from support.non_broker_servers import start_silent_server
from support.options import options_for
from support.scripted_frames import declare_queue_ok_for, topology

from sinew import ClientClosedError, ReconnectPolicy, SinewClient, SinewConnectionError
from sinew.wire import DeclareQueue, GoingAway, Hello, Reconcile, TopologyRequest


@pytest.fixture(autouse=True)
def declaring(broker: FakeBroker) -> None:
    broker.answer(DeclareQueue, declare_queue_ok_for)


async def _drop(broker: FakeBroker, client: SinewClient) -> None:
    broker.drop_connections()
    await broker.wait_for(lambda: not client.is_connected)


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


async def test_going_away_points_the_next_connection_at_its_target(broker: FakeBroker, client: SinewClient) -> None:
    other = await FakeBroker().start()
    other.answer(DeclareQueue, declare_queue_ok_for)
    broker.answer(TopologyRequest, lambda frame: topology())
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


async def test_closing_abandons_a_connection_attempt_in_progress(broker: FakeBroker) -> None:
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
