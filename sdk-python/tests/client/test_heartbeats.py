"""Heartbeats both ways: a broker Ping is answered, the client pings when idle, and a silent
broker is declared dead after three intervals."""

from __future__ import annotations

import asyncio

import pytest
from support.fake_broker import FakeBroker
from support.options import options_for
from support.scripted_frames import answer_hello_with, hello_ok, subscribe_ok, topology

from sinew import ConnectionLostError, SinewClient, SubscribeOptions, SubscriptionEndedError, SubscriptionEndReason
from sinew.wire import DeclareQueue, Ping, Subscribe, TopologyRequest


async def _broker_with_heartbeat(milliseconds: int) -> FakeBroker:
    return await FakeBroker(handshake=answer_hello_with(hello_ok(heartbeat_ms=milliseconds))).start()


async def test_a_ping_from_the_broker_is_answered_with_its_request_id(broker: FakeBroker, client: SinewClient) -> None:
    await broker.connection.ping(timeout=1)


async def test_the_client_pings_when_idle_and_stays_connected() -> None:
    broker = await _broker_with_heartbeat(50)
    try:
        async with SinewClient.connect(options_for(broker)) as client:
            await asyncio.sleep(0.4)  # eight intervals: only Pongs keep it alive
            assert len(broker.frames(Ping)) >= 3
            assert client.is_connected
    finally:
        await broker.stop()


async def test_no_heartbeat_runs_when_the_broker_disables_it() -> None:
    broker = await _broker_with_heartbeat(0)
    try:
        async with SinewClient.connect(options_for(broker)) as client:
            await asyncio.sleep(0.1)
            assert broker.frames(Ping) == []
            connection = client._core.connection
            assert connection is not None
            assert not any("heartbeat" in task.get_name() for task in connection._tasks)
    finally:
        await broker.stop()


async def test_a_silent_broker_is_declared_dead_after_three_intervals() -> None:
    broker = await _broker_with_heartbeat(50)
    broker.answer(TopologyRequest, lambda frame: topology(("orders", 1)))
    broker.answer(Subscribe, subscribe_ok)
    try:
        async with SinewClient.connect(options_for(broker, request_timeout=5)) as client:
            subscription = await client.subscribe("orders", SubscribeOptions(partition=0))
            pending = asyncio.ensure_future(client.declare_queue("orders"))
            await broker.next_frame(DeclareQueue)  # never answered
            loop = asyncio.get_running_loop()
            started = loop.time()
            broker.connection.muted = True
            with pytest.raises(ConnectionLostError) as caught:
                await pending
            assert loop.time() - started < 1.0
            assert "three heartbeat intervals" in caught.value.message
            with pytest.raises(SubscriptionEndedError) as ended:
                await subscription.receive(timeout=1)
            assert ended.value.reason == SubscriptionEndReason.CONNECTION_LOST
    finally:
        await broker.stop()


async def test_silence_is_not_judged_while_reading_is_paused() -> None:
    broker = await _broker_with_heartbeat(50)
    try:
        async with SinewClient.connect(options_for(broker)) as client:
            connection = client._core.connection
            assert connection is not None
            owner = object()
            connection.pause_reading(owner)
            broker.connection.muted = True
            await asyncio.sleep(0.4)  # eight intervals without reading anything
            assert client.is_connected
            connection.resume_reading(owner)
            # Once reading again, the broker's silence counts, from the resume on.
            await connection.wait_closed()
            assert not client.is_connected
    finally:
        await broker.stop()
