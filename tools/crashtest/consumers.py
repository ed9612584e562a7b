"""Consumers: take deliveries, record each (id, time, attempt, partition, offset) and settle it
by its queue's policy, noting whether the broker confirmed the settlement.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable

from sinew import OperationTimeoutError, SinewError, SubscribeOptions
from sinew.delivery import Delivery

from clients import CLIENT_ERRORS, DEAD, QUEUES, WorkContext, close_quietly, describe, roll, sleep_or
from ledger import Seen


Policy = Callable[[str, int], tuple[str, int | None]]
"""(message id, attempt) -> (ack | retry | retry_after | fail, retry delay in ms)."""


def mostly_ack(message_id: str, attempt: int) -> tuple[str, int | None]:
    u = roll("plain", message_id, attempt)
    if attempt == 1 and u < 0.01:
        return "fail", None
    if attempt == 1 and u < 0.06:
        return "retry", None
    return "ack", None


def delayed_policy(message_id: str, attempt: int) -> tuple[str, int | None]:
    u = roll("delayed", message_id, attempt)
    if attempt == 1 and u < 0.1:
        return "retry_after", 300 + int(u * 17_000)
    return "ack", None


def retry_policy(message_id: str, attempt: int) -> tuple[str, int | None]:
    u = roll("retry", message_id, attempt)
    if u < 0.35:
        return "retry", None
    if u < 0.6:
        return "retry_after", 200 + int((u - 0.35) * 5200)
    return "ack", None


def always_ack(message_id: str, attempt: int) -> tuple[str, int | None]:
    return "ack", None


POLICIES: dict[str, Policy] = {
    "crash.plain": mostly_ack,
    "crash.idem": mostly_ack,
    "crash.delayed": delayed_policy,
    "crash.retry": retry_policy,
    "crash.ttl": always_ack,
    DEAD: always_ack,
}


class Consumer:
    """Subscribes to one queue and settles every delivery by its queue's policy. `work` is a
    pause before settling (a slow consumer); `intermittent` makes it leave and come back while
    producers run, so that messages wait (and short TTLs run out)."""

    def __init__(self, context: WorkContext, name: str, topic: str, *, prefetch: int = 20,
                 work: float = 0.0, intermittent: bool = False) -> None:
        self.context = context
        self.name = name
        self.topic = topic
        self.prefetch = prefetch
        self.work = work
        self.intermittent = intermittent
        self.policy = POLICIES[topic]
        self.rng = random.Random(f"{context.seed}:{name}")
        self.incarnation = 0

    async def run(self) -> None:
        stop = self.context.stop_consuming
        while not stop.is_set():
            connected = await self.context.connect_to(self.name, stop)
            if connected is None:
                break
            client, self.incarnation = connected
            pause = 0.0
            subscription = None
            try:
                subscription = await asyncio.wait_for(
                    client.subscribe(self.topic, SubscribeOptions(prefetch=self.prefetch)), 10
                )
                active_until = time.monotonic() + self.rng.uniform(2, 4)
                while not stop.is_set():
                    if self.intermittent and self.context.ledger.phase == "run" and time.monotonic() > active_until:
                        pause = self.rng.uniform(1, 3)
                        break
                    try:
                        delivery = await subscription.next(timeout=0.5)
                    except OperationTimeoutError:
                        continue
                    await self.handle(delivery)
            except CLIENT_ERRORS:
                self.context.ledger.connection_losses += 1
                pause = 0.1
            finally:
                await close_quietly(subscription)
                await close_quietly(client)
            await sleep_or(stop, pause)

    async def handle(self, delivery: Delivery) -> None:
        at = time.time()
        ledger = self.context.ledger
        message_id: str | None
        raw = None
        try:
            message_id = str(json.loads(delivery.payload)["id"])
        except (ValueError, KeyError, TypeError):
            message_id = None
            raw = delivery.payload[:200].decode("utf-8", "replace")
        known = message_id is not None and message_id in ledger.sent
        seen = ledger.record(Seen(
            id=message_id if known else None,
            queue=self.topic,
            at=at,
            attempt=delivery.attempt,
            partition=delivery.partition,
            offset=delivery.offset,
            phase=ledger.phase,
            incarnation=self.incarnation,
            published_at_ms=int(delivery.published_at.timestamp() * 1000),
            raw=None if known else (raw or f"unknown id {message_id}"),
        ))
        if self.topic == DEAD:
            seen.dead_letter = {k: v for k, v in delivery.headers.items() if k.startswith("sinew.dlq.")}
        action, delay_ms = self.policy(message_id or "", delivery.attempt)
        if self.work:
            await asyncio.sleep(self.work)
        seen.action = action
        seen.action_at = time.time()
        seen.retry_after_ms = delay_ms
        try:
            if action == "ack":
                future = delivery.ack()
            elif action == "retry":
                future = delivery.retry()
            elif action == "retry_after":
                assert delay_ms is not None
                future = delivery.retry_after(delay_ms / 1000)
                ledger.expect_retry(seen.action_at + delay_ms / 1000)
            else:
                future = delivery.fail("crash test: terminal failure")
        except SinewError as error:
            seen.settled_ok = False
            seen.settle_error = f"refused at the call: {describe(error)}"
            return
        future.add_done_callback(lambda f: _settled(seen, f))


def _settled(seen: Seen, future: asyncio.Future[None]) -> None:
    seen.settled_at = time.time()
    if future.cancelled():
        seen.settled_ok = False
        seen.settle_error = "cancelled"
    elif (error := future.exception()) is not None:
        seen.settled_ok = False
        seen.settle_error = describe(error)
    else:
        seen.settled_ok = True


def build_consumers(context: WorkContext) -> list[Consumer]:
    """Two consumers per queue (the TTL queue's slow and intermittent) and one for the
    dead-letter queue."""
    consumers: list[Consumer] = []
    for plan in QUEUES:
        for n in range(2):
            if plan.topic == "crash.ttl":
                consumers.append(Consumer(context, f"c-ttl-{n}", plan.topic, prefetch=5, work=0.02, intermittent=True))
            else:
                consumers.append(Consumer(context, f"c-{plan.topic.split('.')[1]}-{n}", plan.topic))
    consumers.append(Consumer(context, "c-dead", DEAD))
    return consumers
