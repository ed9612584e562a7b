"""Failures and the broker's `$dead-letters` queue against the real broker (spec 8.5, 8.7):
giving deliveries back counts a failure only for those the application received, not for the
prefetched ones behind them, whether by unsubscribing or by closing the client; a delivery
whose failures reached the queue's `max_retries` says it is the last attempt, and its next
failure dead-letters it; and a message failed on a queue with the default (`global`) policy
can be consumed from `$dead-letters`.

The frames the client sends for this are pinned against the fake broker
(tests/client/test_handed_out.py)."""

from __future__ import annotations

import asyncio

from support.integration import broker_options, dead_letters, take
from support.real_broker import RealBroker

from sinew import (
    DeadLetterPolicy,
    OutgoingMessage,
    QueueOptions,
    SinewClient,
    SubscribeOptions,
    Subscription,
)

DEAD_LETTERS = "$dead-letters"


async def _publish_texts(client: SinewClient, topic: str, *texts: str) -> None:
    await client.create_publisher(topic).publish_batch(OutgoingMessage.from_text(t) for t in texts)


async def _until_buffered(subscription: Subscription, count: int, timeout: float = 5.0) -> None:
    """Wait until `count` deliveries have arrived behind the ones taken (the broker pushes
    them on its own; the client has no event for it)."""
    async with asyncio.timeout(timeout):
        while subscription.buffered < count:
            await asyncio.sleep(0.01)


async def _counts_after_return(client: SinewClient, topic: str) -> dict[str, tuple[int, int, int | None, bool]]:
    """Every message of `topic` once more: text -> (attempt, failures, max_retries, last)."""
    async with client.subscribe(topic) as subscription:
        again = await take(subscription, 3)
        for delivery in again:
            await delivery.ack()
    return {d.text(): (d.attempt, d.failures, d.max_retries, d.is_last_attempt) for d in again}


async def test_unsubscribing_counts_a_failure_only_for_the_received_delivery(
    client: SinewClient, queue_name: str
) -> None:
    await client.declare_queue(queue_name, QueueOptions(max_retries=3))
    await _publish_texts(client, queue_name, "received", "prefetched-1", "prefetched-2")
    async with client.subscribe(queue_name, SubscribeOptions(prefetch=10)) as subscription:
        (received,) = await take(subscription, 1)
        assert (received.text(), received.attempt, received.failures, received.max_retries) == ("received", 1, 0, 3)
        await _until_buffered(subscription, 2)
    assert await _counts_after_return(client, queue_name) == {
        "received": (2, 1, 3, False),
        "prefetched-1": (2, 0, 3, False),
        "prefetched-2": (2, 0, 3, False),
    }


async def test_closing_the_client_counts_a_failure_only_for_the_received_delivery(
    client: SinewClient, queue_name: str, module_broker: RealBroker
) -> None:
    await client.declare_queue(queue_name, QueueOptions(max_retries=3))
    await _publish_texts(client, queue_name, "received", "prefetched-1", "prefetched-2")
    async with SinewClient.connect(broker_options(module_broker)) as leaving:
        subscription = await leaving.subscribe(queue_name, SubscribeOptions(prefetch=10))
        await take(subscription, 1)
        await _until_buffered(subscription, 2)
    assert await _counts_after_return(client, queue_name) == {
        "received": (2, 1, 3, False),
        "prefetched-1": (2, 0, 3, False),
        "prefetched-2": (2, 0, 3, False),
    }


async def test_the_last_attempt_is_flagged_and_its_next_failure_dead_letters_the_message(
    client: SinewClient, queue_name: str
) -> None:
    dlq = f"{queue_name}.dlq"
    await client.declare_queue(queue_name, QueueOptions(max_retries=1, dead_letter=DeadLetterPolicy.to_queue(dlq)))
    await _publish_texts(client, queue_name, "poison")
    async with client.subscribe(queue_name) as subscription:
        first = await subscription.receive(timeout=5)
        assert (first.failures, first.max_retries, first.is_last_attempt) == (0, 1, False)
        await first.retry("crashed")
        last = await subscription.receive(timeout=5)
        assert (last.attempt, last.failures, last.is_last_attempt) == (2, 1, True)
        await last.retry("crashed again")
    (dead,) = await dead_letters(client, dlq, 1)
    assert dead.text() == "poison"
    assert (dead.headers["sinew.dlq.reason"], dead.headers["sinew.dlq.failures"]) == ("retries_exhausted", "2")


async def test_a_message_failed_under_the_default_policy_is_consumed_from_dead_letters(
    real_broker: RealBroker,
) -> None:
    # A broker of its own: every test's global dead letters would share this queue.
    async with SinewClient.connect(broker_options(real_broker)) as client:
        info = await client.declare_queue("orders")
        assert info.dead_letter == DeadLetterPolicy.global_()
        await _publish_texts(client, "orders", "refused")
        async with client.subscribe("orders") as subscription:
            await (await subscription.receive(timeout=5)).fail("cannot parse")
        (dead,) = await dead_letters(client, DEAD_LETTERS, 1)
        assert (dead.topic, dead.text()) == (DEAD_LETTERS, "refused")
        assert dead.headers["sinew.dlq.source_topic"] == "orders"
        assert (dead.headers["sinew.dlq.reason"], dead.headers["sinew.dlq.error"]) == ("terminal_nack", "cannot parse")
        topology = await client.topology()
        assert topology.find(DEAD_LETTERS) is not None
