"""Producers: confirmed publishes of every kind (plain, pipelined, batched, delayed, with a
TTL, idempotent), each message entered in the ledger before it is sent and marked confirmed,
with its partition and offset, when the broker confirms it.
"""

from __future__ import annotations

import asyncio
import random
import time

from sinew import (
    OutgoingMessage,
    Publisher,
    PublishReceipt,
    ReliablePublisher,
    ReliablePublisherOptions,
    SinewClient,
)

from clients import CLIENT_ERRORS, WorkContext, close_quietly, describe, ms_to_datetime, sleep_or
from ledger import Sent


class Producer:
    """Publishes units of messages to one queue until told to stop, at about `rate` messages
    per second, reconnecting after every failure."""

    def __init__(self, context: WorkContext, name: str, topic: str, rate: float) -> None:
        self.context = context
        self.name = name
        self.topic = topic
        self.rate = rate
        self.rng = random.Random(f"{context.seed}:{name}")
        self.counter = 0
        self.padding: tuple[int, int] | None = None
        """Payload padding in bytes (default: the trial's)."""
        self.client: SinewClient | None = None
        self._publisher: Publisher | None = None
        self._publisher_client: SinewClient | None = None

    def publisher(self, client: SinewClient) -> Publisher:
        """One publisher per connection, so that keyless messages take turns over the partitions."""
        if self._publisher is None or self._publisher_client is not client:
            self._publisher = client.create_publisher(self.topic)
            self._publisher_client = client
        return self._publisher

    def next_id(self) -> str:
        self.counter += 1
        return f"t{self.context.trial:02d}-{self.name}-{self.counter:06d}"

    def message(self, kind: str, *, key: str | None = None, delay_ms: int | None = None,
                not_before_ms: int | None = None, ttl_ms: int | None = None) -> tuple[OutgoingMessage, Sent]:
        message_id = self.next_id()
        outgoing = OutgoingMessage.from_bytes(
            self.context.payload(message_id, self.rng, self.padding),
            content_type="application/json",
            key=key,
            delay=None if delay_ms is None else delay_ms / 1000,
            not_before=None if not_before_ms is None else ms_to_datetime(not_before_ms),
            ttl=None if ttl_ms is None else ttl_ms / 1000,
        )
        sent = Sent(id=message_id, queue=self.topic, kind=kind, sent_at=0.0, not_before_ms=not_before_ms,
                    delay_ms=delay_ms, ttl_ms=ttl_ms)
        return outgoing, sent

    def sending(self, sent: Sent) -> None:
        """Stamps the send time just before the publish call and enters the message in the ledger."""
        sent.sent_at = time.time()
        sent.sends += 1
        if sent.delay_ms is not None:
            sent.not_before_ms = int(sent.sent_at * 1000) + sent.delay_ms
        if sent.id not in self.context.ledger.sent:
            self.context.ledger.add(sent)

    @staticmethod
    def confirmed(sent: Sent, receipt: PublishReceipt) -> None:
        sent.status = "confirmed"
        sent.partition = receipt.partition
        sent.offset = receipt.offset
        sent.duplicate = sent.duplicate or receipt.duplicate
        sent.confirmed_at = time.time()

    @staticmethod
    def failed(sent: Sent, error: BaseException) -> None:
        if sent.status != "confirmed":
            sent.status = "failed"
        sent.errors.append(describe(error))

    async def run(self) -> None:
        stop = self.context.stop_producing
        try:
            while not stop.is_set():
                if self.client is None:
                    self.client = await self.context.connect(self.name, stop)
                    if self.client is None:
                        break
                try:
                    count = await self.step(self.client)
                except CLIENT_ERRORS:
                    self.context.ledger.connection_losses += 1
                    await close_quietly(self.client)
                    self.client = None
                    await sleep_or(stop, 0.1)
                    continue
                await sleep_or(stop, count / self.rate)
            await self.finish()
        finally:
            await close_quietly(self.client)
            self.client = None

    async def step(self, client: SinewClient) -> int:
        raise NotImplementedError

    async def finish(self) -> None:
        """Work still owed after the stop (re-sends of idempotent messages)."""

    async def confirm_each(self, client: SinewClient, items: list[tuple[OutgoingMessage, Sent]]) -> None:
        """Pipelined: send every message, then wait for each confirmation. Re-raises the first
        failure once every confirmation has been accounted for."""
        publisher = self.publisher(client)
        pending = []
        first_error: BaseException | None = None
        for outgoing, sent in items:
            self.sending(sent)
            try:
                pending.append((sent, await asyncio.wait_for(publisher.publish_with_confirmation(outgoing), 10)))
            except CLIENT_ERRORS as error:
                self.failed(sent, error)
                first_error = error
                break
        for sent, confirmation in pending:
            try:
                self.confirmed(sent, await asyncio.wait_for(confirmation.wait(), 15))
            except CLIENT_ERRORS as error:
                self.failed(sent, error)
                first_error = first_error or error
        if first_error is not None:
            raise first_error

    async def confirm_batch(self, client: SinewClient, items: list[tuple[OutgoingMessage, Sent]]) -> None:
        publisher = self.publisher(client)
        for _, sent in items:
            self.sending(sent)
        try:
            receipts = await asyncio.wait_for(publisher.publish_batch([o for o, _ in items]), 15)
        except CLIENT_ERRORS as error:
            for _, sent in items:
                self.failed(sent, error)
            raise
        for (_, sent), receipt in zip(items, receipts, strict=True):
            self.confirmed(sent, receipt)


class PlainProducer(Producer):
    """Single confirmed publishes and pipelined groups, keyless and keyed."""

    async def step(self, client: SinewClient) -> int:
        key = f"key-{self.rng.randrange(13)}" if self.rng.random() < 0.4 else None
        if self.rng.random() < 0.5:
            items = [self.message("plain", key=key)]
        else:
            items = [self.message("pipelined", key=key) for _ in range(self.rng.randint(3, 8))]
        await self.confirm_each(client, items)
        return len(items)


class BatchProducer(Producer):
    async def step(self, client: SinewClient) -> int:
        items = [self.message("batch") for _ in range(self.rng.randint(2, 16))]
        await self.confirm_batch(client, items)
        return len(items)


class DelayedProducer(Producer):
    """Delayed messages: a relative delay or an absolute not-before time, 0.5 to 8 s ahead,
    singly, pipelined or in batches. Their payloads are small, so their partitions are
    snapshotted mostly during rushes (below) and such a snapshot stays the newest for a while."""

    def __init__(self, context: WorkContext, name: str, topic: str, rate: float) -> None:
        super().__init__(context, name, topic, rate)
        self.ahead_ms = (500, 8000)
        self.padding = (100, 1000)

    def delayed(self) -> tuple[OutgoingMessage, Sent]:
        ahead_ms = self.rng.randint(*self.ahead_ms)
        if self.rng.random() < 0.5:
            return self.message("delay", delay_ms=ahead_ms)
        return self.message("not_before", not_before_ms=int(time.time() * 1000) + ahead_ms)

    async def step(self, client: SinewClient) -> int:
        shape = self.rng.random()
        count = 1 if shape < 0.3 else self.rng.randint(2, 8)
        items = [self.delayed() for _ in range(count)]
        if shape < 0.75:
            await self.confirm_each(client, items)
        else:
            await self.confirm_batch(client, items)
        return len(items)


class RushSchedule:
    """Short windows, a few seconds apart, in which the rush producers publish together."""

    def __init__(self, rng: random.Random, duration: float) -> None:
        self.start = time.monotonic()
        self.windows: list[tuple[float, float]] = []
        moment = rng.uniform(1.0, 3.0)
        while moment < duration:
            length = rng.uniform(0.4, 0.8)
            self.windows.append((moment, min(moment + length, duration)))
            moment += length + rng.uniform(3.0, 6.0)

    def now(self) -> tuple[bool, float]:
        """Whether a window is open, and the seconds until it closes or the next one opens."""
        elapsed = time.monotonic() - self.start
        for opens, closes in self.windows:
            if elapsed < opens:
                return False, opens - elapsed
            if elapsed < closes:
                return True, closes - elapsed
        return False, float("inf")


class RushProducer(DelayedProducer):
    """Delayed messages (3 to 10 s ahead) in pipelined threes, up to `rate` a second, but only
    inside the schedule's windows. Several of them rushing together keep appends arriving
    while the partition's earlier ones are being flushed, which is when a snapshot can catch a
    delayed message not yet durable."""

    def __init__(self, context: WorkContext, name: str, topic: str, schedule: RushSchedule, rate: float) -> None:
        super().__init__(context, name, topic, rate)
        self.ahead_ms = (3000, 10_000)
        # Large enough that a rush crosses the snapshot interval of a small-segment broker
        # (64 KiB) several times per partition.
        self.padding = (1000, 3000)
        self.schedule = schedule

    async def step(self, client: SinewClient) -> int:
        rushing, seconds = self.schedule.now()
        if not rushing:
            await sleep_or(self.context.stop_producing, min(seconds, 1.0))
            return 0
        await self.confirm_each(client, [self.delayed() for _ in range(3)])
        return 3


class TtlProducer(Producer):
    """Messages with a TTL from 0.2 s to 30 s; some also delayed, half of those past their TTL,
    so they can only expire."""

    async def step(self, client: SinewClient) -> int:
        ttl_ms = self.rng.choice((200, 500, 1000, 3000, 30_000))
        shape = self.rng.random()
        if shape < 0.15:
            items = [self.message("ttl_delayed", ttl_ms=1000, delay_ms=self.rng.randint(1500, 3000))]
        elif shape < 0.3:
            items = [self.message("ttl_delayed", ttl_ms=30_000, delay_ms=self.rng.randint(300, 2000))]
        else:
            items = [self.message("ttl", ttl_ms=ttl_ms)]
        await self.confirm_each(client, items)
        return len(items)


class RetryQueueProducer(Producer):
    async def step(self, client: SinewClient) -> int:
        items = [self.message("retry")]
        await self.confirm_each(client, items)
        return 1


class IdempotentProducer(Producer):
    """Reliable (producer id + sequence) publishes, singly or in batches. A unit that fails is
    sent again, with the same sequence numbers, on the next connection until it is confirmed;
    the broker must store it once."""

    def __init__(self, context: WorkContext, name: str, topic: str, rate: float) -> None:
        super().__init__(context, name, topic, rate)
        self.producer_id = f"crashtest-{context.trial:02d}-{name}-{self.rng.randrange(1 << 30)}"
        self.next_sequence = 1
        self.unit: list[tuple[OutgoingMessage, Sent]] = []
        self.give_up_seconds = 30.0
        self.reliable: ReliablePublisher | None = None
        self.reliable_client: SinewClient | None = None

    def new_unit(self) -> list[tuple[OutgoingMessage, Sent]]:
        key = f"key-{self.rng.randrange(7)}" if self.rng.random() < 0.3 else None
        count = 1 if self.rng.random() < 0.6 else self.rng.randint(2, 8)
        unit = []
        for _ in range(count):
            outgoing, sent = self.message("idempotent", key=key)
            sent.producer_id = self.producer_id
            sent.sequence = self.next_sequence
            self.next_sequence += 1
            unit.append((outgoing, sent))
        return unit

    async def step(self, client: SinewClient) -> int:
        if not self.unit:
            self.unit = self.new_unit()
        await self.send_unit(client)
        count = len(self.unit)
        self.unit = []
        return count

    async def send_unit(self, client: SinewClient) -> None:
        first = self.unit[0][1].sequence
        assert first is not None
        # One reliable publisher per connection while its sequence numbers match the unit's;
        # a unit sent again gets a new one starting at the unit's first sequence number.
        publisher = self.reliable
        if publisher is None or self.reliable_client is not client or publisher.next_sequence != first:
            publisher = client.create_reliable_publisher(
                self.topic,
                ReliablePublisherOptions(producer_id=self.producer_id, first_sequence=first, max_attempts=1),
            )
            self.reliable, self.reliable_client = publisher, client
        for _, sent in self.unit:
            self.sending(sent)
        try:
            if len(self.unit) == 1:
                receipts = [await asyncio.wait_for(publisher.publish(self.unit[0][0]), 15)]
            else:
                receipts = await asyncio.wait_for(publisher.publish_batch([o for o, _ in self.unit]), 15)
        except CLIENT_ERRORS as error:
            for _, sent in self.unit:
                self.failed(sent, error)
            raise
        for (_, sent), receipt in zip(self.unit, receipts, strict=True):
            self.confirmed(sent, receipt)

    async def finish(self) -> None:
        deadline = time.monotonic() + self.give_up_seconds
        never = asyncio.Event()
        while self.unit and time.monotonic() < deadline:
            try:
                if self.client is None:
                    self.client = await asyncio.wait_for(self.context.connect(self.name, never), 10)
                assert self.client is not None
                await self.send_unit(self.client)
                self.unit = []
            except CLIENT_ERRORS:
                await close_quietly(self.client)
                self.client = None
                await asyncio.sleep(0.2)
        if self.unit:
            self.context.ledger.notes.append(
                f"{self.name}: gave up re-sending {[s.id for _, s in self.unit]} after {self.give_up_seconds:g} s"
            )




def build_producers(context: WorkContext, rate: float, duration: float) -> list[Producer]:
    """Producers at about `rate` messages per second in all, plus three rush producers at up
    to 4 × `rate` each inside their windows (about a tenth of the time): short and intense,
    since what a snapshot catches depends on how many appends are in flight, not on how many
    messages a rush sends."""
    share = rate / 100
    schedule = RushSchedule(random.Random(f"{context.seed}:rush"), duration)
    return [
        PlainProducer(context, "plain", "crash.plain", 15 * share),
        BatchProducer(context, "batch", "crash.plain", 20 * share),
        DelayedProducer(context, "delayed-a", "crash.delayed", 12.5 * share),
        DelayedProducer(context, "delayed-b", "crash.delayed", 12.5 * share),
        TtlProducer(context, "ttl", "crash.ttl", 15 * share),
        IdempotentProducer(context, "idem", "crash.idem", 15 * share),
        RetryQueueProducer(context, "retry", "crash.retry", 10 * share),
        *(RushProducer(context, f"rush-{n}", "crash.delayed", schedule, 400 * share) for n in range(3)),
    ]
