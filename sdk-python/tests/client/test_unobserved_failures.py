"""Failures nobody awaits: a settlement acts whether or not the application awaits its
result, and when it fails unobserved the failure is logged once, at WARNING on the `sinew`
logger, instead of being dropped or reported by asyncio as "Future exception was never
retrieved". The broker here answers the settlement of a delivery as stale, as it does once
the delivery's lease ran out.

The same for a pipelined publish confirmation runs against the real broker
(tests/broker/test_broker_error_reporting.py)."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from support.fake_broker import FakeBroker
from support.scripted_frames import deliver, delivered, ok, settle_ok, subscribe_ok, topology

from sinew import BrokerError, Delivery, SinewClient, Subscription
from sinew.wire import Ack, Subscribe, TopologyRequest, Unsubscribe


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


async def _a_held_delivery_the_broker_forgot(broker: FakeBroker, client: SinewClient) -> tuple[Subscription, Delivery]:
    broker.answer(TopologyRequest, lambda frame: topology(("orders", 1)))
    broker.answer(Subscribe, subscribe_ok)
    broker.answer(Unsubscribe, lambda frame: ok())
    subscription = await client.subscribe("orders")
    (subscribed,) = broker.frames(Subscribe)
    broker.push(deliver(subscribed.request_id, delivered(1, b"a")))
    delivery = await subscription.receive(timeout=2)
    # Its lease ran out at the broker: settling it is answered as stale.
    broker.answer(Ack, lambda frame: settle_ok(delivery.delivery_id))
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
