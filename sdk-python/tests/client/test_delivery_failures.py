"""A delivery's failures, its queue's retry budget and whether it is the last attempt, as the
broker sends them in `DeliveredMessage` (spec 8.5), read by the asyncio `Delivery`, the
blocking one and the conformance driver alike; and what a broker that sends neither field
gives.

Scripted on the fake broker, which can send any count, and leave the fields out as an older
broker does. The counts a real broker keeps run against it
(tests/broker/test_broker_failures.py)."""

from __future__ import annotations

import asyncio

import pytest
from support.fake_broker import FakeBroker
from support.options import options_for
from support.scripted_frames import deliver, delivered, ok, subscribe_ok, topology

import sinew.blocking as blocking
from sinew import Delivery, SinewClient
from sinew.conformance.results import delivery_result
from sinew.wire import DeliveredMessage, Subscribe, TopologyRequest, Unsubscribe


@pytest.fixture(autouse=True)
def orders(broker: FakeBroker) -> None:
    broker.answer(TopologyRequest, lambda frame: topology(("orders", 1)))
    broker.answer(Subscribe, subscribe_ok)
    broker.answer(Unsubscribe, lambda frame: ok())


def _push(broker: FakeBroker, *messages: DeliveredMessage) -> None:
    (subscribed,) = broker.frames(Subscribe)
    broker.push(deliver(subscribed.request_id, *messages))


async def _received(broker: FakeBroker, client: SinewClient, *messages: DeliveredMessage) -> list[Delivery]:
    subscription = await client.subscribe("orders")
    _push(broker, *messages)
    return [await subscription.receive(timeout=2) for _ in messages]


async def test_a_delivery_carries_the_failures_and_retry_budget_the_broker_sent(
    broker: FakeBroker, client: SinewClient
) -> None:
    (delivery,) = await _received(broker, client, delivered(1, attempt=4, failures=2, max_retries=5))
    assert (delivery.attempt, delivery.failures, delivery.max_retries) == (4, 2, 5)
    assert not delivery.is_last_attempt


@pytest.mark.parametrize(
    ("failures", "max_retries", "last"),
    [(0, 3, False), (2, 3, False), (3, 3, True), (4, 3, True), (0, 0, True), (None, 0, True), (7, None, False)],
    ids=["fresh", "one-left", "budget-reached", "past-the-budget", "no-retries", "uncounted-no-retries", "no-budget"],
)
async def test_the_last_attempt_is_when_failures_reached_the_retry_budget(
    broker: FakeBroker, client: SinewClient, failures: int | None, max_retries: int | None, last: bool
) -> None:
    (delivery,) = await _received(broker, client, delivered(1, failures=failures, max_retries=max_retries))
    assert delivery.is_last_attempt is last


async def test_a_broker_that_sends_no_counts_gives_no_failures_and_no_budget(
    broker: FakeBroker, client: SinewClient
) -> None:
    (delivery,) = await _received(broker, client, delivered(1, attempt=3))
    assert (delivery.failures, delivery.max_retries, delivery.is_last_attempt) == (0, None, False)
    assert "failures=0" in repr(delivery)


async def test_the_conformance_driver_reports_failures_budget_and_last_attempt(
    broker: FakeBroker, client: SinewClient
) -> None:
    counted, uncounted = await _received(
        broker, client, delivered(1, failures=1, max_retries=1), delivered(2)
    )
    assert {key: delivery_result(counted, 0)[key] for key in ("failures", "max_retries", "is_last_attempt")} == {
        "failures": 1, "max_retries": 1, "is_last_attempt": True,
    }
    assert {key: delivery_result(uncounted, 0)[key] for key in ("failures", "max_retries", "is_last_attempt")} == {
        "failures": 0, "max_retries": None, "is_last_attempt": False,
    }


async def test_the_blocking_delivery_reads_the_same_counts(broker: FakeBroker) -> None:
    broker_loop = asyncio.get_running_loop()

    def scenario() -> list[tuple[int, int | None, bool]]:
        with blocking.SinewClient.connect(options_for(broker)) as client, client.subscribe("orders") as subscription:
            broker_loop.call_soon_threadsafe(
                _push, broker, delivered(1, failures=2, max_retries=2), delivered(2, failures=1, max_retries=4), delivered(3)
            )
            return [
                (delivery.failures, delivery.max_retries, delivery.is_last_attempt)
                for delivery in (subscription.receive(timeout=2) for _ in range(3))
            ]

    assert await asyncio.to_thread(scenario) == [(2, 2, True), (1, 4, False), (0, None, False)]
