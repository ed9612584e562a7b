"""What every client of a trial shares: the queues, where the broker listens now, and how a
worker connects to it.

Each producer and consumer has a connection of its own. The broker comes back on a new port
after every restart, so clients do not reconnect by themselves (their reconnect policy is
disabled): after a connection loss a worker waits for the broker to be up again and opens a
new client to its current address.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from sinew import (
    DeadLetterPolicy,
    QueueOptions,
    ReconnectPolicy,
    SinewClient,
    SinewClientOptions,
    SinewError,
)

from ledger import Ledger

DEAD = "crash.dead"


@dataclass(frozen=True)
class QueuePlan:
    topic: str
    partitions: int
    max_retries: int


QUEUES = (
    QueuePlan("crash.plain", 4, 10),
    QueuePlan("crash.delayed", 2, 10),
    QueuePlan("crash.ttl", 2, 10),
    QueuePlan("crash.idem", 3, 10),
    QueuePlan("crash.retry", 2, 2),
)
LEASE_SECONDS = 5
MAX_RETRIES = {plan.topic: plan.max_retries for plan in QUEUES}

# Errors after which a worker drops its client and connects afresh.
CLIENT_ERRORS = (SinewError, OSError, TimeoutError)


class BrokerLink:
    """Where the broker listens now; None while it is down."""

    def __init__(self) -> None:
        self.endpoint: str | None = None
        self.incarnation = 0

    def up(self, endpoint: str, incarnation: int) -> None:
        self.endpoint = endpoint
        self.incarnation = incarnation

    def down(self) -> None:
        self.endpoint = None

    async def wait_up(self, stop: asyncio.Event) -> str | None:
        while not stop.is_set():
            if self.endpoint is not None:
                return self.endpoint
            await sleep_or(stop, 0.05)
        return None


async def sleep_or(event: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake as soon as `event` is set."""
    if seconds <= 0:
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)


async def close_quietly(closeable: Any) -> None:
    if closeable is None:
        return
    with contextlib.suppress(Exception):
        await asyncio.wait_for(closeable.close(), 5)


def describe(error: BaseException) -> str:
    code = getattr(error, "code", None)
    name = type(error).__name__
    return f"{name}({code})" if code else name


def roll(*parts: object) -> float:
    """A number in [0, 1) fixed by `parts`, so that a decision about a message does not depend
    on when or how often it arrives."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def ms_to_datetime(milliseconds: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=milliseconds)


class WorkContext:
    """What every worker of one trial shares."""

    def __init__(self, trial: int, ledger: Ledger, link: BrokerLink, padding: tuple[int, int], seed: int) -> None:
        self.trial = trial
        self.ledger = ledger
        self.link = link
        self.padding = padding
        self.seed = seed
        self.stop_producing = asyncio.Event()
        self.stop_consuming = asyncio.Event()
        self.connect_failures = 0

    def options(self, endpoint: str, name: str) -> SinewClientOptions:
        return SinewClientOptions(
            endpoints=endpoint,
            client_name=f"crashtest-{name}",
            connect_timeout=3,
            request_timeout=5,
            close_timeout=1,
            heartbeat=5,
            reconnect=ReconnectPolicy.disabled(),
        )

    async def connect(self, name: str, stop: asyncio.Event) -> SinewClient | None:
        """A client connected to the current broker, or None once `stop` is set."""
        connected = await self.connect_to(name, stop)
        return None if connected is None else connected[0]

    async def connect_to(self, name: str, stop: asyncio.Event) -> tuple[SinewClient, int] | None:
        """A client and the broker incarnation it is connected to. Each incarnation listens
        on a port of its own, so the endpoint read together with its incarnation number tells
        which process the client talks to."""
        while not stop.is_set():
            endpoint = await self.link.wait_up(stop)
            if endpoint is None:
                return None
            incarnation = self.link.incarnation
            try:
                client = await asyncio.wait_for(SinewClient.connect(self.options(endpoint, name)), 8)
                return client, incarnation
            except CLIENT_ERRORS:
                self.connect_failures += 1
                await sleep_or(stop, 0.2)
        return None

    def payload(self, message_id: str, rng: random.Random, padding: tuple[int, int] | None = None) -> bytes:
        low, high = padding or self.padding
        return json.dumps({"id": message_id, "pad": "x" * rng.randint(low, high)}).encode()


def queue_options(plan: QueuePlan) -> QueueOptions:
    return QueueOptions(
        partitions=plan.partitions,
        max_retries=plan.max_retries,
        lease=LEASE_SECONDS,
        dead_letter=DeadLetterPolicy.to_queue(DEAD),
    )


async def declare_all(context: WorkContext) -> None:
    client = await asyncio.wait_for(context.connect("declare", asyncio.Event()), 30)
    assert client is not None
    try:
        await asyncio.wait_for(client.declare_queue(
            DEAD, QueueOptions(partitions=1, lease=LEASE_SECONDS, dead_letter=DeadLetterPolicy.discard())), 10)
        for plan in QUEUES:
            await asyncio.wait_for(client.declare_queue(plan.topic, queue_options(plan)), 10)
    finally:
        await close_quietly(client)


class Worker(Protocol):
    name: str

    async def run(self) -> None: ...


def run_all(workers: Sequence[Worker]) -> list[asyncio.Task[None]]:
    return [asyncio.create_task(worker.run(), name=worker.name) for worker in workers]


async def wait_tasks(tasks: list[asyncio.Task[None]], timeout: float) -> list[str]:
    """Waits for the tasks; returns the names of those that did not end in time (then
    cancelled) or that failed."""
    if not tasks:
        return []
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    problems = [f"{task.get_name()} did not stop within {timeout:g} s" for task in pending]
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=5)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            problems.append(f"{task.get_name()} failed: {task.exception()!r}")
    return problems

