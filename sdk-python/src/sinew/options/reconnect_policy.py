"""How the client reconnects when an operation finds the connection gone."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from sinew.durations import Duration, to_seconds
from sinew.errors import InvalidArgumentError

__all__ = ["ReconnectPolicy"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconnectPolicy:
    """Bounded reconnection with exponential backoff.

    Reconnecting is lazy: the first operation after the connection dropped reconnects
    before it runs. One attempt tries every endpoint in order. The first attempt starts at
    once; attempt n (n >= 2) waits `initial_delay * 2 ** (n - 2)`, capped at `max_delay`, less
    a random share of up to `jitter`. When every attempt fails the operation raises
    `SinewConnectionError`; the next operation starts a fresh round.
    """

    max_attempts: int = 5
    """Attempts per reconnection (default: 5); 0 disables reconnecting, and operations then
    raise `ConnectionLostError` once the connection is gone."""
    initial_delay: Duration = 0.1
    """Wait before the second attempt; it doubles for each later one (default: 100 ms)."""
    max_delay: Duration = 5.0
    """Longest wait between attempts (default: 5 s)."""
    jitter: float = 0.2
    """Largest share of each wait taken off at random, so that many clients do not reconnect
    in step; 0 gives exact waits (default: 0.2)."""

    def __post_init__(self) -> None:
        # Arguments are named as the client option they belong to (`reconnect.max_delay`), as
        # every Sinew client names them.
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int):
            raise InvalidArgumentError(
                "max_attempts must be an int",
                argument="reconnect.max_attempts",
                reason="wrong_type",
            )
        if self.max_attempts < 0:
            raise InvalidArgumentError(
                "max_attempts must be at least 0",
                argument="reconnect.max_attempts",
                reason="out_of_range",
            )
        initial = to_seconds(self.initial_delay, argument="reconnect.initial_delay")
        if to_seconds(self.max_delay, argument="reconnect.max_delay") < initial:
            raise InvalidArgumentError(
                "max_delay must be at least initial_delay",
                argument="reconnect.max_delay",
                reason="out_of_range",
            )
        if isinstance(self.jitter, bool) or not isinstance(self.jitter, int | float):
            raise InvalidArgumentError(
                f"jitter must be a number within 0..1, not {type(self.jitter).__name__}",
                argument="reconnect.jitter",
                reason="wrong_type",
            )
        if math.isnan(self.jitter):
            raise InvalidArgumentError(
                "jitter must be a number within 0..1, not NaN",
                argument="reconnect.jitter",
                reason="wrong_type",
            )
        if not 0 <= self.jitter <= 1:
            raise InvalidArgumentError(
                "jitter must be within 0..1", argument="reconnect.jitter", reason="out_of_range"
            )

    @classmethod
    def disabled(cls) -> ReconnectPolicy:
        """A policy that never reconnects."""
        return cls(max_attempts=0)

    def _delay_before(self, attempt: int) -> float:
        """Seconds to wait before `attempt` (counted from 1; the first waits nothing)."""
        if attempt <= 1:
            return 0.0
        initial = to_seconds(self.initial_delay, argument="reconnect.initial_delay")
        maximum = to_seconds(self.max_delay, argument="reconnect.max_delay")
        # The exponent is bounded so that a huge attempt number cannot overflow the float.
        nominal = min(maximum, initial * 2.0 ** min(attempt - 2, 64))
        return nominal * (1 - self.jitter * random.random())
