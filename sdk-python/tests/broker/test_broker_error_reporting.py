"""How the client reports the real broker's refusals: the error a confirmed publish raises, an
unconfirmed publish's refusal handed to `on_error` (off the read loop, and surviving a handler
that raises), and a failed confirmation that nobody awaits, logged once as a warning."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from support.integration import broker_options
from support.real_broker import RealBroker

from sinew import BrokerError, OutgoingMessage, SinewClient, SinewError

ERROR_NOT_FOUND = 8


@pytest.fixture
async def loop_reports() -> AsyncIterator[list[dict[str, Any]]]:
    """What reaches the event loop's exception handler during the test."""
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _, context: reported.append(context))
    yield reported
    loop.set_exception_handler(previous)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("sinew") and record.levelno == logging.WARNING
    ]


async def _until(condition: Any, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


async def test_publishing_to_a_missing_queue_raises_not_found(client: SinewClient, queue_name: str) -> None:
    with pytest.raises(BrokerError) as caught:
        await client.create_publisher(queue_name).publish(OutgoingMessage(b""))
    assert caught.value.broker_code == ERROR_NOT_FOUND
    assert "declare_queue" in caught.value.message


async def test_on_error_runs_on_a_later_turn_of_the_loop_not_in_the_read_loop(
    module_broker: RealBroker, queue_name: str
) -> None:
    tasks: list[asyncio.Task[object] | None] = []

    def on_error(error: SinewError) -> None:
        tasks.append(asyncio.current_task())

    async with SinewClient.connect(broker_options(module_broker, on_error=on_error)) as client:
        await client.create_publisher(queue_name).publish_unconfirmed(OutgoingMessage(b"x"))
        await _until(lambda: bool(tasks))
    # Inside the read loop the current task would be the connection's reader.
    assert tasks == [None]


async def test_an_on_error_handler_that_raises_is_logged_and_the_connection_carries_on(
    module_broker: RealBroker, queue_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[SinewError] = []

    def on_error(error: SinewError) -> None:
        seen.append(error)
        raise RuntimeError("a bug in the handler")

    caplog.set_level(logging.ERROR, logger="sinew")
    async with SinewClient.connect(broker_options(module_broker, on_error=on_error)) as client:
        publisher = client.create_publisher(f"{queue_name}.missing")
        await publisher.publish_unconfirmed(OutgoingMessage(b"x"))
        await _until(lambda: len(seen) == 1)
        await publisher.publish_unconfirmed(OutgoingMessage(b"y"))
        await _until(lambda: len(seen) == 2)
        assert client.is_connected
        assert (await client.declare_queue(queue_name)).created
    logged = [record for record in caplog.records if "on_error raised" in record.getMessage()]
    assert len(logged) == 2
    assert all(record.exc_info is not None and record.exc_info[0] is RuntimeError for record in logged)


async def test_a_failed_confirmation_nobody_awaits_is_logged_once_as_a_warning(
    client: SinewClient,
    queue_name: str,
    caplog: pytest.LogCaptureFixture,
    loop_reports: list[dict[str, Any]],
) -> None:
    caplog.set_level(logging.WARNING, logger="sinew")
    publisher = client.create_publisher(queue_name)
    confirmation = await publisher.publish_with_confirmation(OutgoingMessage(b"x"))
    await _until(confirmation.done)
    del confirmation
    gc.collect()
    (warning,) = _warnings(caplog)
    assert f"publish_with_confirmation to {queue_name!r}" in warning and "not_found" in warning
    assert loop_reports == []


async def test_a_failed_confirmation_that_was_awaited_is_not_logged(
    client: SinewClient,
    queue_name: str,
    caplog: pytest.LogCaptureFixture,
    loop_reports: list[dict[str, Any]],
) -> None:
    caplog.set_level(logging.WARNING, logger="sinew")
    confirmation = await client.create_publisher(queue_name).publish_with_confirmation(
        OutgoingMessage(b"x")
    )
    with pytest.raises(BrokerError):
        await confirmation
    del confirmation
    gc.collect()
    assert _warnings(caplog) == [] and loop_reports == []
