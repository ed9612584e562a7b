"""Topics starting with `$` belong to the broker (spec 7.1, rule 5). The client refuses them
before sending, except that subscribing may name a queue the broker owns, such as
`$dead-letters` (spec 8.7): declaring and publishing still refuse it with `reserved_prefix`,
and every other rule still applies to the topic, and rule 5 to the group.

Whether a `$` queue exists is the broker's to say; subscribing to the real `$dead-letters`
runs against the real broker (tests/broker/test_broker_failures.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from support.fake_broker import FakeBroker
from support.options import options_for
from support.scripted_frames import ok, subscribe_ok, topology
from vector_support import name_vectors

import sinew.blocking as blocking
from sinew import InvalidArgumentError, OutgoingMessage, SinewClient, SubscribeOptions
from sinew.naming import NameViolation, validate_name
from sinew.wire import Subscribe, TopologyRequest, Unsubscribe

DEAD_LETTERS = "$dead-letters"


@pytest.fixture(autouse=True)
def dead_letters_queue(broker: FakeBroker) -> None:
    broker.answer(TopologyRequest, lambda frame: topology((DEAD_LETTERS, 1)))
    broker.answer(Subscribe, subscribe_ok)
    broker.answer(Unsubscribe, lambda frame: ok())


@pytest.mark.parametrize("case", name_vectors()["names"], ids=lambda case: str(case["id"]))
def test_allowing_broker_owned_names_lifts_the_dollar_rule_and_no_other(case: dict[str, Any]) -> None:
    expected = None if case["reason"] == NameViolation.RESERVED_PREFIX else case["reason"]
    assert validate_name(case["value"], allow_broker_owned=True) == expected


async def test_subscribing_may_name_a_queue_the_broker_owns(broker: FakeBroker, client: SinewClient) -> None:
    async with client.subscribe(DEAD_LETTERS) as subscription:
        assert subscription.topic == DEAD_LETTERS
    assert [message.topic for message in broker.messages(Subscribe)] == [DEAD_LETTERS]


async def test_declaring_and_publishing_still_refuse_a_dollar_topic_before_sending(
    broker: FakeBroker, client: SinewClient
) -> None:
    refusals = []
    with pytest.raises(InvalidArgumentError) as declaring:
        await client.declare_queue(DEAD_LETTERS)
    refusals.append(declaring.value)
    for create in (client.create_publisher, client.create_reliable_publisher):
        with pytest.raises(InvalidArgumentError) as publishing:
            create(DEAD_LETTERS)
        refusals.append(publishing.value)
    assert {(error.argument, error.reason) for error in refusals} == {("topic", "reserved_prefix")}
    assert [type(frame.message).__name__ for _, frame in broker.received] == ["Hello"]


@pytest.mark.parametrize(
    ("topic", "reason"),
    [("$dead letters", "whitespace"), ("$" + "x" * 200, "too_long"), ("$dead/letters", "reserved_character")],
    ids=["whitespace", "too-long", "reserved-character"],
)
async def test_a_dollar_topic_in_subscribe_still_follows_the_other_rules(
    broker: FakeBroker, client: SinewClient, topic: str, reason: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.subscribe(topic)
    assert (caught.value.argument, caught.value.reason) == ("topic", reason)
    assert broker.messages(Subscribe) == []


async def test_the_group_of_a_subscription_may_not_start_with_dollar(broker: FakeBroker, client: SinewClient) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.subscribe("orders", SubscribeOptions(group="$ops"))
    assert (caught.value.argument, caught.value.reason) == ("group", "reserved_prefix")
    assert broker.messages(Subscribe) == []


async def test_the_blocking_client_subscribes_to_a_broker_owned_queue_and_refuses_publishing(broker: FakeBroker) -> None:
    def scenario() -> str:
        with blocking.SinewClient.connect(options_for(broker)) as client:
            with pytest.raises(InvalidArgumentError) as caught:
                client.create_publisher(DEAD_LETTERS).publish(OutgoingMessage(b""))
            assert caught.value.reason == "reserved_prefix"
            with client.subscribe(DEAD_LETTERS) as subscription:
                return subscription.topic

    assert await asyncio.to_thread(scenario) == DEAD_LETTERS
    assert [message.topic for message in broker.messages(Subscribe)] == [DEAD_LETTERS]
