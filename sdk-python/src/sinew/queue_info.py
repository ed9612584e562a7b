"""`QueueInfo`: a declared queue's effective settings, as the broker reported them."""

from __future__ import annotations

from dataclasses import dataclass

from sinew.options.dead_letter_policy import DeadLetterPolicy

__all__ = ["QueueInfo"]


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueInfo:
    """What `declare_queue` returns. Durations are in seconds."""

    topic: str
    group: str | None
    """The normalised group: None for the ungrouped queue."""
    created: bool
    """True when this declaration created the queue."""
    partitions: int
    dead_letter: DeadLetterPolicy
    max_retries: int
    default_ttl: float | None
    """Seconds; None when messages without a TTL never expire."""
    lease: float
    """Seconds a delivery is held before it returns to ready."""
