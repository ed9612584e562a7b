"""Requests: correlation by id, typed broker errors, timeouts, late replies, pushes that no
caller waits for, and frames the protocol forbids.

How `on_error` receives the broker's refusal of an unconfirmed publish runs against the real
broker (tests/broker/test_broker_error_reporting.py)."""

from __future__ import annotations

import asyncio

import pytest
from support.fake_broker import FakeBroker
from support.options import options_for
from support.scripted_frames import (
    ERROR_CONFLICT,
    ERROR_UNAVAILABLE,
    answer_hello_with,
    declare_queue_ok,
    error,
    hello_ok,
    limits,
    topology,
)

from sinew import (
    BrokerError,
    ConnectionLostError,
    InvalidArgumentError,
    OperationTimeoutError,
    OutgoingMessage,
    QueueOptions,
    SinewClient,
)
from sinew.wire import DeclareQueue, Error, Frame, Publish, PublishMessage, TopologyRequest, encode_frame


def _declared(frame: Frame) -> DeclareQueue:
    assert isinstance(frame.message, DeclareQueue)
    return frame.message


async def test_concurrent_requests_are_matched_to_their_replies(broker: FakeBroker, client: SinewClient) -> None:
    declaring = asyncio.gather(
        *(client.declare_queue(f"queue-{n}", QueueOptions(partitions=n)) for n in range(1, 6))
    )
    frames = [await broker.next_frame(DeclareQueue) for _ in range(5)]
    for frame in reversed(frames):  # answered in the opposite order
        broker.reply(frame, declare_queue_ok(partitions=_declared(frame).partitions or 1))
    infos = await declaring
    assert [(info.topic, info.partitions) for info in infos] == [(f"queue-{n}", n) for n in range(1, 6)]
    ids = [frame.request_id for frame in broker.frames(DeclareQueue)]
    assert len(set(ids)) == 5 and 0 not in ids


async def test_an_error_reply_becomes_a_broker_error_with_details(broker: FakeBroker, client: SinewClient) -> None:
    broker.answer(DeclareQueue, lambda frame: error(
        ERROR_CONFLICT, "partitions differ", details={"field": "partitions", "existing": "2", "requested": "3"}
    ))
    with pytest.raises(BrokerError) as caught:
        await client.declare_queue("orders", QueueOptions(partitions=3))
    error_raised = caught.value
    assert (error_raised.code, error_raised.broker_code, error_raised.is_retryable) == ("conflict", 9, False)
    assert error_raised.details == {"field": "partitions", "existing": "2", "requested": "3"}
    assert "declare_queue('orders')" in error_raised.message


async def test_the_broker_retryable_flag_is_reported(broker: FakeBroker, client: SinewClient) -> None:
    broker.answer(DeclareQueue, lambda frame: error(ERROR_UNAVAILABLE, "starting", retryable=True))
    with pytest.raises(BrokerError) as caught:
        await client.declare_queue("orders")
    assert caught.value.code == "unavailable" and caught.value.is_retryable


async def test_a_request_without_answer_times_out(broker: FakeBroker) -> None:
    async with SinewClient.connect(options_for(broker, request_timeout=0.2)) as client:
        with pytest.raises(OperationTimeoutError) as caught:
            await client.declare_queue("orders")  # never answered
        assert caught.value.timeout == pytest.approx(0.2)
        assert caught.value.is_retryable
        connection = client._core.connection
        assert connection is not None and connection.pending_requests == 0
        # The connection is still usable.
        broker.answer(DeclareQueue, lambda frame: declare_queue_ok())
        assert (await client.declare_queue("orders")).created


async def test_a_reply_after_the_timeout_is_dropped(broker: FakeBroker) -> None:
    async with SinewClient.connect(options_for(broker, request_timeout=0.1)) as client:
        with pytest.raises(OperationTimeoutError):
            await client.declare_queue("late")
        broker.reply(await broker.next_frame(DeclareQueue), declare_queue_ok())
        broker.answer(DeclareQueue, lambda frame: declare_queue_ok())
        info = await client.declare_queue("other")
        assert info.topic == "other" and client.is_connected


async def test_a_cancelled_request_frees_its_slot(broker: FakeBroker, client: SinewClient) -> None:
    task = asyncio.ensure_future(client.declare_queue("orders"))
    await broker.next_frame(DeclareQueue)  # never answered
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0)
    assert client._core.connection is not None and client._core.connection.pending_requests == 0


async def test_a_fatal_error_push_names_the_cause_of_the_lost_connection(broker: FakeBroker, client: SinewClient) -> None:
    declaring = asyncio.ensure_future(client.declare_queue("orders"))
    broker.reply(await broker.next_frame(DeclareQueue), declare_queue_ok())
    await declaring
    pending = asyncio.ensure_future(client.declare_queue("orders"))
    await broker.next_frame(DeclareQueue)  # never answered
    broker.push(Error(code=1, retryable=False, message="undecodable frame"))
    broker.drop_connections()
    with pytest.raises(ConnectionLostError) as caught:
        await pending
    assert "undecodable frame" in caught.value.message
    assert isinstance(caught.value.__cause__, BrokerError)


async def test_a_frame_only_clients_send_closes_the_connection_as_a_protocol_error(
    broker: FakeBroker, client: SinewClient
) -> None:
    pending = asyncio.ensure_future(client.declare_queue("orders"))
    await broker.next_frame(DeclareQueue)  # never answered
    broker.push(Publish(topic="x", message=PublishMessage(payload=b"")))
    with pytest.raises(ConnectionLostError) as caught:
        await pending
    assert "only clients send" in caught.value.message
    assert not client.is_connected


async def test_a_frame_with_an_unknown_opcode_is_skipped(broker: FakeBroker, client: SinewClient) -> None:
    raw = bytearray(encode_frame(Error(code=1, retryable=False, message="")))
    raw[3] = 0x7E  # an opcode a later protocol version might define
    broker.push(bytes(raw))
    broker.answer(DeclareQueue, lambda frame: declare_queue_ok())
    assert (await client.declare_queue("orders")).created
    assert client.is_connected


async def test_a_frame_over_the_broker_limit_is_refused_before_sending() -> None:
    small = limits(max_frame_bytes=1024, max_batch_messages=10, max_headers=4, max_prefetch=50)
    broker = await FakeBroker(handshake=answer_hello_with(hello_ok(limits=small))).start()
    broker.answer(DeclareQueue, lambda frame: declare_queue_ok())
    broker.answer(TopologyRequest, lambda frame: topology(("orders", 1)))
    try:
        async with SinewClient.connect(options_for(broker)) as client:
            await client.declare_queue("orders")
            with pytest.raises(InvalidArgumentError) as caught:
                await client.create_publisher("orders").publish(OutgoingMessage(b"x" * 2000))
            assert caught.value.reason == "frame_too_large"
            assert broker.frames(Publish) == []
            assert client.is_connected
    finally:
        await broker.stop()
