"""Requests: correlation by id, typed broker errors, timeouts, late replies, pushes that no
caller waits for, and frames the protocol forbids."""

from __future__ import annotations

import asyncio
import logging

import pytest
from collections.abc import AsyncIterator
from support.options import options_for
from support.queue_model_broker import ERROR_CONFLICT, FakeBroker

from sinew import (
    BrokerError,
    ConnectionLostError,
    InvalidArgumentError,
    OperationTimeoutError,
    OutgoingMessage,
    QueueOptions,
    SinewClient,
    SinewError,
)
from sinew.wire import DeclareQueue, Error, Opcode, Publish, PublishMessage, encode_frame


async def test_concurrent_requests_are_matched_to_their_replies(broker: FakeBroker, client: SinewClient) -> None:
    broker.delays[Opcode.DECLARE_QUEUE] = 0.05
    infos = await asyncio.gather(
        *(client.declare_queue(f"queue-{n}", QueueOptions(partitions=n)) for n in range(1, 6))
    )
    assert [(info.topic, info.partitions) for info in infos] == [(f"queue-{n}", n) for n in range(1, 6)]
    ids = [frame.request_id for frame in broker.frames(DeclareQueue)]
    assert len(set(ids)) == 5 and 0 not in ids


async def test_an_error_reply_becomes_a_broker_error_with_details(broker: FakeBroker, client: SinewClient) -> None:
    broker.fail_next(Opcode.DECLARE_QUEUE, ERROR_CONFLICT, "partitions differ",
                     details={"field": "partitions", "existing": "2", "requested": "3"})
    with pytest.raises(BrokerError) as caught:
        await client.declare_queue("orders", QueueOptions(partitions=3))
    error = caught.value
    assert (error.code, error.broker_code, error.is_retryable) == ("conflict", 9, False)
    assert error.details == {"field": "partitions", "existing": "2", "requested": "3"}
    assert "declare_queue('orders')" in error.message


async def test_the_broker_retryable_flag_is_reported(broker: FakeBroker, client: SinewClient) -> None:
    broker.fail_next(Opcode.DECLARE_QUEUE, 13, "starting", retryable=True)
    with pytest.raises(BrokerError) as caught:
        await client.declare_queue("orders")
    assert caught.value.code == "unavailable" and caught.value.is_retryable


async def test_a_request_without_answer_times_out(broker: FakeBroker) -> None:
    async with SinewClient.connect(options_for(broker, request_timeout=0.2)) as client:
        broker.held.add(Opcode.DECLARE_QUEUE)
        with pytest.raises(OperationTimeoutError) as caught:
            await client.declare_queue("orders")
        assert caught.value.timeout == pytest.approx(0.2)
        assert caught.value.is_retryable
        connection = client._core.connection
        assert connection is not None and connection.pending_requests == 0
        # The connection is still usable.
        broker.held.clear()
        assert (await client.declare_queue("orders")).created


async def test_a_reply_after_the_timeout_is_dropped(broker: FakeBroker) -> None:
    async with SinewClient.connect(options_for(broker, request_timeout=0.1)) as client:
        broker.delays[Opcode.DECLARE_QUEUE] = 0.3
        with pytest.raises(OperationTimeoutError):
            await client.declare_queue("late")
        await asyncio.sleep(0.3)
        broker.delays.clear()
        info = await client.declare_queue("other")
        assert info.topic == "other" and client.is_connected


async def test_a_cancelled_request_frees_its_slot(broker: FakeBroker, client: SinewClient) -> None:
    broker.held.add(Opcode.DECLARE_QUEUE)
    task = asyncio.ensure_future(client.declare_queue("orders"))
    await broker.wait_for(lambda: bool(broker.frames(DeclareQueue)))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0)
    assert client._core.connection is not None and client._core.connection.pending_requests == 0


async def test_unsolicited_errors_reach_the_on_error_callback(broker: FakeBroker) -> None:
    seen: list[SinewError] = []
    async with SinewClient.connect(options_for(broker, on_error=seen.append)) as client:
        await client.create_publisher("missing").publish_unconfirmed(OutgoingMessage(b"x"))
        await broker.wait_for(lambda: bool(seen))
    assert isinstance(seen[0], BrokerError) and seen[0].code == "not_found"


async def test_on_error_runs_on_a_later_turn_of_the_loop_not_in_the_read_loop(broker: FakeBroker) -> None:
    tasks: list[asyncio.Task[object] | None] = []

    def on_error(error: SinewError) -> None:
        tasks.append(asyncio.current_task())

    async with SinewClient.connect(options_for(broker, on_error=on_error)) as client:
        await client.create_publisher("missing").publish_unconfirmed(OutgoingMessage(b"x"))
        await broker.wait_for(lambda: bool(tasks))
    # Inside the read loop the current task would be the connection's reader.
    assert tasks == [None]


async def test_an_on_error_handler_that_raises_is_logged_and_the_connection_carries_on(
    broker: FakeBroker, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[SinewError] = []

    def on_error(error: SinewError) -> None:
        seen.append(error)
        raise RuntimeError("a bug in the handler")

    caplog.set_level(logging.ERROR, logger="sinew")
    async with SinewClient.connect(options_for(broker, on_error=on_error)) as client:
        publisher = client.create_publisher("missing")
        await publisher.publish_unconfirmed(OutgoingMessage(b"x"))
        await broker.wait_for(lambda: len(seen) == 1)
        await publisher.publish_unconfirmed(OutgoingMessage(b"y"))
        await broker.wait_for(lambda: len(seen) == 2)
        assert client.is_connected
        assert (await client.declare_queue("orders")).created
    logged = [record for record in caplog.records if "on_error raised" in record.getMessage()]
    assert len(logged) == 2
    assert all(record.exc_info is not None and record.exc_info[0] is RuntimeError for record in logged)


async def test_a_fatal_error_push_names_the_cause_of_the_lost_connection(broker: FakeBroker, client: SinewClient) -> None:
    await client.declare_queue("orders")
    broker.held.add(Opcode.DECLARE_QUEUE)
    pending = asyncio.ensure_future(client.declare_queue("orders"))
    await broker.wait_for(lambda: len(broker.frames(DeclareQueue)) == 2)
    broker.push(Error(code=1, retryable=False, message="undecodable frame"))
    broker.drop_connections()
    with pytest.raises(ConnectionLostError) as caught:
        await pending
    assert "undecodable frame" in caught.value.message
    assert isinstance(caught.value.__cause__, BrokerError)


async def test_a_frame_only_clients_send_closes_the_connection_as_a_protocol_error(
    broker: FakeBroker, client: SinewClient
) -> None:
    broker.held.add(Opcode.DECLARE_QUEUE)
    pending = asyncio.ensure_future(client.declare_queue("orders"))
    await broker.wait_for(lambda: bool(broker.frames(DeclareQueue)))
    broker.push(Publish(topic="x", message=PublishMessage(payload=b"")))
    with pytest.raises(ConnectionLostError) as caught:
        await pending
    assert "only clients send" in caught.value.message
    assert not client.is_connected


async def test_a_frame_with_an_unknown_opcode_is_skipped(broker: FakeBroker, client: SinewClient) -> None:
    raw = bytearray(encode_frame(Error(code=1, retryable=False, message="")))
    raw[3] = 0x7E  # an opcode a later protocol version might define
    broker.session.writer.write(bytes(raw))
    assert (await client.declare_queue("orders")).created
    assert client.is_connected


async def test_a_frame_over_the_broker_limit_is_refused_before_sending(broker: FakeBroker, client: SinewClient) -> None:
    from sinew.wire import Limits

    broker.limits = Limits(max_frame_bytes=1024, max_batch_messages=10, max_headers=4, max_prefetch=50)
    async with SinewClient.connect(options_for(broker)) as small:
        await small.declare_queue("orders")
        with pytest.raises(InvalidArgumentError) as caught:
            await small.create_publisher("orders").publish(OutgoingMessage(b"x" * 2000))
        assert caught.value.reason == "frame_too_large"
        assert broker.frames(Publish) == []
        assert small.is_connected


@pytest.fixture
async def broker() -> AsyncIterator[FakeBroker]:
    # Transitional: the queue-model fake until this module is rewritten.
    fake = await FakeBroker().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def client(broker: FakeBroker) -> AsyncIterator[SinewClient]:
    from support.options import options_for

    connected = await SinewClient.connect(options_for(broker))
    yield connected
    await connected.close()
