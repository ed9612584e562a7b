"""Closing: unsubscribe, Goodbye, a bounded wait for Ok, and nothing left running.

That Goodbye gives unsettled deliveries back runs against the real broker
(tests/broker/test_broker_closing.py)."""

from __future__ import annotations

import asyncio

import pytest
from support.fake_broker import FakeBroker
from support.options import options_for
from support.scripted_frames import answer_hello_with, hello_ok, ok, subscribe_ok, topology

from sinew import ClientClosedError, SinewClient, SubscriptionEndedError, SubscriptionEndReason
from sinew.wire import DeclareQueue, Goodbye, Opcode, Subscribe, TopologyRequest, Unsubscribe


def _client_tasks() -> list[asyncio.Task[object]]:
    """Tasks running code of the sinew package, other than the test's own."""
    found = []
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        if code is not None and "/src/sinew/" in code.co_filename.replace("\\", "/"):
            found.append(task)
    return found


async def test_close_unsubscribes_then_says_goodbye_and_leaves_no_task_running() -> None:
    broker = await FakeBroker(handshake=answer_hello_with(hello_ok(heartbeat_ms=1000))).start()
    broker.answer(TopologyRequest, lambda frame: topology(("orders", 2)))
    broker.answer(Subscribe, subscribe_ok)
    broker.answer(Unsubscribe, lambda frame: ok())
    try:
        client = await SinewClient.connect(options_for(broker))
        subscription = await client.subscribe("orders")
        assert _client_tasks()
        await client.close()
        ops = [frame.opcode for _, frame in broker.received]
        assert ops[-3:] == [Opcode.UNSUBSCRIBE, Opcode.UNSUBSCRIBE, Opcode.GOODBYE]
        assert _client_tasks() == []
        assert not client.is_connected and client.is_closed
        with pytest.raises(SubscriptionEndedError) as caught:
            await subscription.receive()
        assert caught.value.reason == SubscriptionEndReason.CLIENT_CLOSED
    finally:
        await broker.stop()


async def test_close_waits_only_briefly_for_a_broker_that_does_not_answer(broker: FakeBroker) -> None:
    broker.answer_goodbye = False
    client = await SinewClient.connect(options_for(broker, close_timeout=0.1))
    await asyncio.wait_for(client.close(), 2)
    assert len(broker.messages(Goodbye)) == 1
    assert _client_tasks() == []


async def test_operations_waiting_when_the_client_closes_fail_with_client_closed(broker: FakeBroker, client: SinewClient) -> None:
    pending = asyncio.ensure_future(client.declare_queue("orders"))
    await broker.next_frame(DeclareQueue)  # never answered
    await client.close()
    with pytest.raises(ClientClosedError):
        await pending


async def test_operations_after_close_fail_with_client_closed(broker: FakeBroker, client: SinewClient) -> None:
    await client.close()
    for operation in (client.declare_queue("orders"), client.topology(), client.subscribe("orders")):
        with pytest.raises(ClientClosedError):
            await operation
    assert broker.connections_accepted == 1


async def test_close_is_idempotent_and_concurrent_closes_all_finish(broker: FakeBroker, client: SinewClient) -> None:
    await asyncio.gather(client.close(), client.close(), client.close())
    await client.close()
    assert len(broker.messages(Goodbye)) == 1


async def test_close_after_the_connection_dropped_sends_nothing_and_finishes(broker: FakeBroker, client: SinewClient) -> None:
    broker.drop_connections()
    await broker.wait_for(lambda: not client.is_connected)
    await asyncio.wait_for(client.close(), 1)
    assert broker.messages(Goodbye) == [] and _client_tasks() == []


async def test_leaving_the_async_with_block_closes_the_client(broker: FakeBroker) -> None:
    async with SinewClient.connect(options_for(broker)) as client:
        pass
    assert client.is_closed and len(broker.messages(Goodbye)) == 1
    assert broker.messages(Unsubscribe) == []
