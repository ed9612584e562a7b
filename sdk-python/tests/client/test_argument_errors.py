"""What `InvalidArgumentError` says for each misuse: the argument as written in Python and the
reason word every Sinew client uses for the same misuse (the C# and TypeScript suites pin the
same table in their own casing). The fake broker shows that nothing refused was sent.

The refusals of settling a real broker's deliveries are in
tests/broker/test_broker_subscriptions.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from support.fake_broker import FakeBroker
from support.options import options_for
from support.scripted_frames import (
    answer_hello_with,
    deliver,
    delivered,
    hello_ok,
    limits,
    ok,
    settle_ok,
    subscribe_ok,
    topology,
)

from sinew import (
    DeadLetterPolicy,
    InvalidArgumentError,
    OutgoingMessage,
    PublisherOptions,
    QueueOptions,
    ReconnectPolicy,
    ReliablePublisherOptions,
    SinewClient,
    SinewClientOptions,
    SubscribeOptions,
)
from sinew.wire import Ack, ExtendLease, Nack, Publish, Subscribe, TopologyRequest, Unsubscribe

MAX_FRAME_BYTES = 4096


@pytest.fixture
async def small_broker() -> AsyncIterator[FakeBroker]:
    """A broker with small limits that knows the queues `orders` (two partitions) and `audit`."""
    small = limits(max_frame_bytes=MAX_FRAME_BYTES, max_batch_messages=2, max_headers=2, max_prefetch=1000)
    fake = await FakeBroker(handshake=answer_hello_with(hello_ok(limits=small))).start()
    fake.answer(TopologyRequest, lambda frame: topology(("orders", 2), ("audit", 1)))
    fake.answer(Subscribe, subscribe_ok)
    fake.answer(Unsubscribe, lambda frame: ok())
    fake.answer(Ack, lambda frame: settle_ok())
    yield fake
    await fake.stop()


@pytest.fixture
async def small_client(small_broker: FakeBroker) -> AsyncIterator[SinewClient]:
    connected = await SinewClient.connect(options_for(small_broker))
    yield connected
    await connected.close()


async def _refusal(call: Callable[[], Awaitable[Any] | Any]) -> tuple[str, str]:
    """The argument and reason of the refusal, whether raised at the call or when awaited."""
    with pytest.raises(InvalidArgumentError) as caught:
        result = call()
        if isinstance(result, Awaitable):
            await result
    return caught.value.argument, caught.value.reason


async def test_names_headers_and_message_fields_are_refused_with_the_shared_reasons(
    small_broker: FakeBroker, small_client: SinewClient
) -> None:
    client = small_client
    publisher = client.create_publisher("orders")
    past = datetime(1969, 12, 31, 23, 59, tzinfo=timezone.utc)

    assert await _refusal(lambda: client.declare_queue("my orders")) == ("topic", "whitespace")
    assert await _refusal(lambda: client.declare_queue(None)) == ("topic", "wrong_type")  # type: ignore[arg-type]
    assert await _refusal(
        lambda: client.subscribe("orders", SubscribeOptions(group="a/b"))
    ) == ("group", "reserved_character")
    assert await _refusal(lambda: DeadLetterPolicy.to_queue("bad topic")) == (
        "dead_letter.topic",
        "whitespace",
    )
    assert await _refusal(
        lambda: client.create_reliable_publisher(
            "orders", ReliablePublisherOptions(producer_id="p" * 65)
        )
    ) == ("producer_id", "too_long")

    assert await _refusal(lambda: OutgoingMessage(b"x", headers={"sinew.retry": "1"})) == (
        "headers",
        "reserved_prefix",
    )
    assert await _refusal(lambda: OutgoingMessage(b"x", headers={"": "v"})) == ("headers", "empty")
    assert await _refusal(lambda: OutgoingMessage(b"x", headers={"k": "v" * 4097})) == (
        "headers",
        "too_long",
    )
    assert await _refusal(lambda: OutgoingMessage(b"x", headers={"k": None})) == (  # type: ignore[dict-item]
        "headers",
        "wrong_type",
    )
    three = OutgoingMessage(b"x", headers={"a": "1", "b": "2", "c": "3"})
    assert await _refusal(lambda: publisher.publish(three)) == ("headers", "too_many")
    assert await _refusal(lambda: OutgoingMessage(b"x", content_type="c" * 256)) == (
        "content_type",
        "too_long",
    )
    assert await _refusal(
        lambda: OutgoingMessage(b"x", delay=1, not_before=datetime.now(timezone.utc))
    ) == ("delay", "conflicting_options")
    assert await _refusal(lambda: OutgoingMessage(b"x", delay=-1)) == ("delay", "out_of_range")
    assert await _refusal(lambda: OutgoingMessage(b"x", ttl=0)) == ("ttl", "out_of_range")
    assert await _refusal(lambda: OutgoingMessage(b"x", not_before=past)) == (
        "not_before",
        "out_of_range",
    )
    assert await _refusal(
        lambda: publisher.publish(OutgoingMessage(bytes(MAX_FRAME_BYTES)))
    ) == ("payload", "frame_too_large")
    batch = [OutgoingMessage(b"x")] * 3
    assert await _refusal(lambda: publisher.publish_batch(batch)) == ("messages", "too_many")

    assert await _refusal(lambda: OutgoingMessage.from_text("\ud800")) == (
        "payload",
        "invalid_unicode",
    )
    assert await _refusal(lambda: OutgoingMessage(b"x", key="\udc00")) == ("key", "invalid_unicode")
    assert await _refusal(lambda: OutgoingMessage.from_json(object())) == ("payload", "not_json")
    assert await _refusal(lambda: OutgoingMessage.from_msgpack(object())) == (
        "payload",
        "not_msgpack",
    )
    assert small_broker.messages(Publish) == []


async def test_queue_and_subscription_options_are_refused_with_the_shared_reasons(
    small_broker: FakeBroker, small_client: SinewClient
) -> None:
    client = small_client
    assert await _refusal(lambda: QueueOptions(partitions=0)) == ("partitions", "out_of_range")
    assert await _refusal(lambda: SubscribeOptions(prefetch=0)) == ("prefetch", "out_of_range")
    assert await _refusal(
        lambda: client.subscribe("orders", SubscribeOptions(prefetch=1001))
    ) == ("prefetch", "out_of_range")
    assert await _refusal(
        lambda: client.subscribe("orders", SubscribeOptions(partition=2))
    ) == ("partition", "out_of_range")
    assert await _refusal(lambda: SubscribeOptions(ack_mode="none")) == (  # type: ignore[arg-type]
        "ack_mode",
        "wrong_type",
    )
    assert small_broker.messages(Subscribe) == []


async def test_durations_past_the_protocol_ranges_are_refused_with_the_shared_reasons(
    small_broker: FakeBroker, small_client: SinewClient
) -> None:
    client = small_client
    too_long = timedelta(days=3650, milliseconds=1)
    over_twelve_hours = timedelta(hours=12, milliseconds=1)
    ahead = datetime.now(timezone.utc) + timedelta(days=3651)
    assert await _refusal(lambda: OutgoingMessage(b"x", ttl=too_long)) == ("ttl", "out_of_range")
    assert await _refusal(lambda: OutgoingMessage(b"x", ttl=2.0**64)) == ("ttl", "out_of_range")
    assert await _refusal(lambda: OutgoingMessage(b"x", delay=too_long)) == ("delay", "out_of_range")
    assert await _refusal(lambda: OutgoingMessage(b"x", not_before=ahead)) == (
        "not_before",
        "out_of_range",
    )
    assert await _refusal(lambda: PublisherOptions(ttl=too_long)) == ("ttl", "out_of_range")
    assert await _refusal(lambda: ReliablePublisherOptions(delay=too_long)) == (
        "delay",
        "out_of_range",
    )
    assert await _refusal(lambda: QueueOptions(default_ttl=too_long)) == (
        "default_ttl",
        "out_of_range",
    )
    assert await _refusal(lambda: QueueOptions(lease=over_twelve_hours)) == ("lease", "out_of_range")
    assert await _refusal(lambda: QueueOptions(lease=0.099)) == ("lease", "out_of_range")
    assert small_broker.messages(Publish) == []

    async with client.subscribe("orders", SubscribeOptions(partition=0)) as subscription:
        (subscribed,) = small_broker.frames(Subscribe)
        small_broker.push(deliver(subscribed.request_id, delivered(1, b"a")))
        delivery = await subscription.receive(timeout=2)
        assert await _refusal(lambda: delivery.retry_after(too_long)) == ("delay", "out_of_range")
        assert await _refusal(lambda: delivery.extend_lease(over_twelve_hours)) == (
            "by",
            "out_of_range",
        )
        assert small_broker.messages(Nack) == []
        assert small_broker.messages(ExtendLease) == []
        await delivery.ack()


async def test_client_options_are_refused_with_the_shared_reasons() -> None:
    assert await _refusal(lambda: SinewClientOptions(endpoints="broker:99999")) == (
        "endpoints",
        "invalid_endpoint",
    )
    assert await _refusal(lambda: SinewClientOptions(endpoints=[])) == ("endpoints", "empty")
    assert await _refusal(lambda: SinewClientOptions(request_timeout=0)) == (
        "request_timeout",
        "out_of_range",
    )
    assert await _refusal(lambda: SinewClientOptions(heartbeat=300.001)) == (
        "heartbeat",
        "out_of_range",
    )
    assert await _refusal(lambda: ReconnectPolicy(initial_delay=1, max_delay=0.5)) == (
        "reconnect.max_delay",
        "out_of_range",
    )
    assert await _refusal(lambda: ReconnectPolicy(jitter=float("nan"))) == (
        "reconnect.jitter",
        "wrong_type",
    )
