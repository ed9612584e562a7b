"""Declaring queues on the real broker: defaults, idempotence, conflicts naming the field,
names refused before sending, and group normalisation."""

from __future__ import annotations

import pytest
from support.integration import take

from sinew import (
    BrokerError,
    DeadLetterKind,
    DeadLetterPolicy,
    InvalidArgumentError,
    OutgoingMessage,
    PublisherOptions,
    QueueOptions,
    SinewClient,
    SubscribeOptions,
)


async def test_a_queue_declared_without_options_gets_the_broker_defaults(client: SinewClient, queue_name: str) -> None:
    info = await client.declare_queue(queue_name)
    assert info.created and info.topic == queue_name and info.group is None
    assert info.partitions == 1
    assert info.max_retries == 5
    assert info.lease == 30.0
    assert info.default_ttl is None
    assert info.dead_letter == DeadLetterPolicy.global_()


async def test_declared_settings_are_reported_back(client: SinewClient, queue_name: str) -> None:
    options = QueueOptions(
        partitions=3,
        max_retries=2,
        lease=1.5,
        default_ttl=60,
        dead_letter=DeadLetterPolicy.to_queue(f"{queue_name}.dlq", "eu"),
    )
    info = await client.declare_queue(queue_name, options)
    assert (info.partitions, info.max_retries, info.lease, info.default_ttl) == (3, 2, 1.5, 60.0)
    assert info.dead_letter.kind == DeadLetterKind.QUEUE
    assert (info.dead_letter.topic, info.dead_letter.group) == (f"{queue_name}.dlq", "eu")
    discard = await client.declare_queue(f"{queue_name}.d", QueueOptions(dead_letter=DeadLetterPolicy.discard()))
    assert discard.dead_letter == DeadLetterPolicy.discard()


async def test_declaring_again_with_the_same_settings_is_idempotent(client: SinewClient, queue_name: str) -> None:
    options = QueueOptions(partitions=2, max_retries=3)
    first = await client.declare_queue(queue_name, options)
    second = await client.declare_queue(queue_name, options)
    assert first.created and not second.created
    assert (second.partitions, second.max_retries) == (2, 3)
    # Absent settings mean "the broker's default", which the existing queue may differ from
    # only where the first declaration asked for something else.
    third = await client.declare_queue(queue_name, QueueOptions(partitions=2, max_retries=3, lease=30))
    assert not third.created


@pytest.mark.parametrize(
    ("changed", "field", "existing", "requested"),
    [
        (QueueOptions(partitions=3), "partitions", "2", "3"),
        (QueueOptions(partitions=2, max_retries=9), "max_retries", "5", "9"),
        (QueueOptions(partitions=2, lease=2), "lease_ms", "30000", "2000"),
    ],
    ids=["partitions", "max_retries", "lease"],
)
async def test_declaring_with_other_settings_is_a_conflict_naming_the_field(
    client: SinewClient, queue_name: str, changed: QueueOptions, field: str, existing: str, requested: str
) -> None:
    await client.declare_queue(queue_name, QueueOptions(partitions=2))
    with pytest.raises(BrokerError) as caught:
        await client.declare_queue(queue_name, changed)
    error = caught.value
    assert error.code == "conflict" and error.broker_code == 9 and not error.is_retryable
    assert error.details["field"] == field
    assert (error.details["existing"], error.details["requested"]) == (existing, requested)
    assert f"declare_queue({queue_name!r})" in error.message


@pytest.mark.parametrize(
    ("topic", "reason"),
    [
        ("", "empty"),
        ("a" * 201, "too_long"),
        ("..", "reserved_name"),
        ("$sys", "reserved_prefix"),
        ("tab\there", "control_character"),
        ("two words", "whitespace"),
        ("orders/eu", "reserved_character"),
        ("bad\ud800", "invalid_unicode"),
    ],
)
async def test_invalid_names_are_refused_by_the_client_before_sending(
    client: SinewClient, topic: str, reason: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.declare_queue(topic)
    assert (caught.value.argument, caught.value.reason) == ("topic", reason)
    with pytest.raises(InvalidArgumentError) as caught:
        await client.declare_queue("fine", QueueOptions(group=topic or "*"))
    assert caught.value.argument == "group"


async def test_names_of_any_script_are_accepted(client: SinewClient, queue_name: str) -> None:
    topic = f"заказы-注文-🚀.{queue_name}"
    info = await client.declare_queue(topic, QueueOptions(group="ελλάδα"))
    receipt = await client.create_publisher(topic, PublisherOptions(group="ελλάδα")).publish(
        OutgoingMessage.from_text("γειά")
    )
    assert info.created and receipt.offset == 0


async def test_the_default_group_and_the_empty_group_mean_no_group(client: SinewClient, queue_name: str) -> None:
    info = await client.declare_queue(queue_name, QueueOptions(group="default"))
    assert info.created and info.group is None
    assert not (await client.declare_queue(queue_name, QueueOptions(group=""))).created
    assert not (await client.declare_queue(queue_name)).created
    await client.create_publisher(queue_name, PublisherOptions(group="")).publish(OutgoingMessage.from_text("a"))
    await client.create_publisher(queue_name, PublisherOptions(group="default")).publish(OutgoingMessage.from_text("b"))
    async with client.subscribe(queue_name) as subscription:
        received = await take(subscription, 2)
    assert sorted(d.text() for d in received) == ["a", "b"]
    assert all(d.group is None for d in received)
    channels = [c for c in (await client.topology()).channels if c.topic == queue_name]
    assert [(c.topic, c.group) for c in channels] == [(queue_name, None)]


async def test_a_group_is_a_namespace_of_its_own(client: SinewClient, queue_name: str) -> None:
    eu = await client.declare_queue(queue_name, QueueOptions(group="eu", partitions=2))
    us = await client.declare_queue(queue_name, QueueOptions(group="us", partitions=3))
    assert eu.created and us.created and (eu.partitions, us.partitions) == (2, 3)
    await client.create_publisher(queue_name, PublisherOptions(group="eu")).publish(OutgoingMessage.from_text("eu"))
    async with client.subscribe(queue_name, SubscribeOptions(group="us")) as subscription:
        assert subscription.partitions == (0, 1, 2)
        with pytest.raises(TimeoutError):
            await subscription.receive(timeout=0.2)
    async with client.subscribe(queue_name, SubscribeOptions(group="eu")) as subscription:
        delivery = await subscription.receive(timeout=5)
        assert (delivery.text(), delivery.group) == ("eu", "eu")


async def test_publishing_to_a_queue_never_declared_is_not_found(client: SinewClient, queue_name: str) -> None:
    with pytest.raises(BrokerError) as caught:
        await client.create_publisher(queue_name).publish(OutgoingMessage.from_text("x"))
    assert caught.value.code == "not_found" and caught.value.details.get("topic") == queue_name
    with pytest.raises(BrokerError) as caught:
        await client.subscribe(queue_name)
    assert caught.value.code == "not_found"
