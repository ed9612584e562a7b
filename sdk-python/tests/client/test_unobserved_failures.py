"""Failures nobody awaits: a settlement or a pipelined publish confirmation acts whether or
not the application awaits its result, and when it fails unobserved the failure is logged
once, at WARNING on the `sinew` logger, instead of being dropped or reported by asyncio as
"Future exception was never retrieved"."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from support.queue_model_broker import FakeBroker

from sinew import BrokerError, OutgoingMessage, SinewClient
from sinew.wire import Ack


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


async def _a_held_delivery_the_broker_forgot(broker: FakeBroker, client: SinewClient) -> Any:
    broker.add_queue("orders")
    broker.store("orders", b"a")
    subscription = await client.subscribe("orders")
    delivery = await subscription.next(timeout=2)
    del broker.session.deliveries[delivery.delivery_id]  # its lease ran out at the broker
    return subscription, delivery


async def test_a_failed_settlement_nobody_awaits_is_logged_once_as_a_warning(
    broker: FakeBroker,
    client: SinewClient,
    caplog: pytest.LogCaptureFixture,
    loop_reports: list[dict[str, Any]],
) -> None:
    caplog.set_level(logging.WARNING, logger="sinew")
    subscription, delivery = await _a_held_delivery_the_broker_forgot(broker, client)
    delivery_id = delivery.delivery_id
    answer = delivery.ack()  # a stale_delivery failure, never awaited
    await broker.wait_for(lambda: len(broker.messages(Ack)) == 1)
    await broker.wait_for(answer.done)
    assert _warnings(caplog) == []  # reported when it is dropped, as asyncio would
    del answer, delivery
    gc.collect()
    (warning,) = _warnings(caplog)
    assert f"ack of delivery {delivery_id}" in warning and "stale_delivery" in warning
    gc.collect()
    assert len(_warnings(caplog)) == 1
    assert loop_reports == []
    await subscription.close()


async def test_a_failed_settlement_that_was_awaited_is_not_logged(
    broker: FakeBroker,
    client: SinewClient,
    caplog: pytest.LogCaptureFixture,
    loop_reports: list[dict[str, Any]],
) -> None:
    caplog.set_level(logging.WARNING, logger="sinew")
    subscription, delivery = await _a_held_delivery_the_broker_forgot(broker, client)
    with pytest.raises(BrokerError) as caught:
        await delivery.ack()
    assert caught.value.code == "stale_delivery"
    del delivery
    gc.collect()
    assert _warnings(caplog) == [] and loop_reports == []
    await subscription.close()


async def test_a_failed_confirmation_nobody_awaits_is_logged_once_as_a_warning(
    broker: FakeBroker,
    client: SinewClient,
    caplog: pytest.LogCaptureFixture,
    loop_reports: list[dict[str, Any]],
) -> None:
    caplog.set_level(logging.WARNING, logger="sinew")
    publisher = client.create_publisher("missing")
    confirmation = await publisher.publish_with_confirmation(OutgoingMessage(b"x"))
    await broker.wait_for(confirmation.done)
    del confirmation
    gc.collect()
    (warning,) = _warnings(caplog)
    assert "publish_with_confirmation to 'missing'" in warning and "not_found" in warning
    assert loop_reports == []


async def test_a_failed_confirmation_that_was_awaited_is_not_logged(
    broker: FakeBroker,
    client: SinewClient,
    caplog: pytest.LogCaptureFixture,
    loop_reports: list[dict[str, Any]],
) -> None:
    caplog.set_level(logging.WARNING, logger="sinew")
    confirmation = await client.create_publisher("missing").publish_with_confirmation(
        OutgoingMessage(b"x")
    )
    with pytest.raises(BrokerError):
        await confirmation
    del confirmation
    gc.collect()
    assert _warnings(caplog) == [] and loop_reports == []


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
