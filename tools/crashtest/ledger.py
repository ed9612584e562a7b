"""What one trial sent, what the broker confirmed, what consumers saw and when.

Times are wall-clock seconds (`time.time()`), the clock the broker stamps delays and expiries
with, since both run on this machine. They are taken conservatively for the checks: a send
time before the publish call (so it is no later than the broker's receipt) and a delivery time
after the consumer took the delivery (so it is no earlier than the broker's sending).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Sent:
    id: str
    queue: str
    kind: str
    """plain, pipelined, batch, delay, not_before, ttl, ttl_delayed, idempotent, retry"""
    sent_at: float
    not_before_ms: int | None = None
    """No delivery may happen before this (unix ms). For `not_before` messages the value sent;
    for `delay` ones the send time plus the delay, a lower bound of the broker's own deadline."""
    delay_ms: int | None = None
    ttl_ms: int | None = None
    producer_id: str | None = None
    sequence: int | None = None
    status: str = "pending"
    """pending, confirmed, failed (sent but never confirmed: it may or may not be stored)"""
    partition: int | None = None
    offset: int | None = None
    duplicate: bool = False
    confirmed_at: float | None = None
    sends: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class Seen:
    """One delivery to a consumer."""

    id: str | None
    queue: str
    at: float
    attempt: int
    partition: int
    offset: int
    phase: str
    incarnation: int
    published_at_ms: int
    raw: str | None = None
    """The payload, when it is not one of this trial's messages."""
    action: str | None = None
    """ack, retry, retry_after, fail"""
    action_at: float | None = None
    retry_after_ms: int | None = None
    settled_ok: bool | None = None
    """True once the broker confirmed the settlement, False when it failed, None if unknown."""
    settled_at: float | None = None
    settle_error: str | None = None
    dead_letter: dict[str, str] | None = None
    """For deliveries from the dead-letter queue: its `sinew.dlq.*` headers."""


@dataclass
class Restart:
    signal: str
    stopped_at: float
    exit_code: int | None
    ready_at: float | None
    incarnation: int
    """The incarnation that started after the stop."""
    phase: str


class Ledger:
    def __init__(self, trial: int) -> None:
        self.trial = trial
        self.sent: dict[str, Sent] = {}
        self.seen: list[Seen] = []
        self.restarts: list[Restart] = []
        self.phase = "run"
        self.phase_started: dict[str, float] = {"run": time.time()}
        self.last_delivery_at = time.time()
        self.latest_due = 0.0
        """Wall time after which no delayed message or delayed retry should still wait."""
        self.connection_losses = 0
        self.notes: list[str] = []

    def enter(self, phase: str) -> None:
        self.phase = phase
        self.phase_started[phase] = time.time()

    def add(self, sent: Sent) -> Sent:
        if sent.id in self.sent:
            raise ValueError(f"id {sent.id} used twice")
        self.sent[sent.id] = sent
        if sent.not_before_ms is not None:
            # A `delay` message's real deadline is up to one round trip later than its bound.
            self.latest_due = max(self.latest_due, sent.not_before_ms / 1000 + 2.0)
        return sent

    def record(self, seen: Seen) -> Seen:
        self.seen.append(seen)
        self.last_delivery_at = seen.at
        return seen

    def expect_retry(self, due_at: float) -> None:
        self.latest_due = max(self.latest_due, due_at + 1.0)

    def dump(self, directory: Path) -> None:
        with (directory / "sent.jsonl").open("w", encoding="utf-8") as out:
            for sent in self.sent.values():
                out.write(json.dumps(asdict(sent), separators=(",", ":")) + "\n")
        with (directory / "deliveries.jsonl").open("w", encoding="utf-8") as out:
            for seen in self.seen:
                out.write(json.dumps(asdict(seen), separators=(",", ":")) + "\n")


def iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{whole}.{int((seconds % 1) * 1000):03d}Z"


def to_json(value: Any) -> Any:
    return asdict(value) if hasattr(value, "__dataclass_fields__") else value
