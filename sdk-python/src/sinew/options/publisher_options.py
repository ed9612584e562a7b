"""`PublisherOptions` and `ReliablePublisherOptions`: per-publisher defaults and retry limits."""

from __future__ import annotations

from dataclasses import dataclass

from sinew._core.argument_checks import require_group, require_name
from sinew.durations import Duration, to_milliseconds, to_seconds
from sinew.errors import InvalidArgumentError
from sinew.wire.limits import MAX_U64

__all__ = ["PublisherOptions", "ReliablePublisherOptions"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PublisherOptions:
    """Options for `SinewClient.create_publisher`."""

    group: str | None = None
    """The queue's group (default: none; `""` and `"default"` mean none too)."""
    delay: Duration | None = None
    """Delay for messages that set neither `delay` nor `not_before` (default: none)."""
    ttl: Duration | None = None
    """TTL for messages that set none (default: none, so the queue's default applies)."""

    def __post_init__(self) -> None:
        require_group(self.group)
        if self.delay is not None:
            to_milliseconds(self.delay, argument="delay", field="PublishMessage.delay_ms")
        if self.ttl is not None:
            to_milliseconds(
                self.ttl, argument="ttl", allow_zero=False, field="PublishMessage.ttl_ms"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class ReliablePublisherOptions(PublisherOptions):
    """Options for `SinewClient.create_reliable_publisher`."""

    producer_id: str | None = None
    """The idempotency producer id, at most 64 bytes (default: a random UUID per publisher).
    Reusing an id across processes also needs `first_sequence` past the last one used."""
    first_sequence: int = 1
    """The sequence number of the first message (default: 1)."""
    max_attempts: int = 10
    """Attempts per message, the first included, before the last error is raised
    (default: 10)."""
    initial_retry_delay: Duration = 0.1
    """Wait before the second attempt; it doubles for each later one (default: 100 ms)."""
    max_retry_delay: Duration = 5.0
    """Longest wait between attempts (default: 5 s)."""

    def __post_init__(self) -> None:
        PublisherOptions.__post_init__(self)
        if self.producer_id is not None:
            require_name(self.producer_id, argument="producer_id", producer_id=True)
        if (
            isinstance(self.first_sequence, bool)
            or not isinstance(self.first_sequence, int)
            or not 0 <= self.first_sequence <= MAX_U64
        ):
            raise InvalidArgumentError(
                "first_sequence must be an int within the u64 range",
                argument="first_sequence",
                reason="out_of_range",
            )
        attempts = self.max_attempts
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            raise InvalidArgumentError(
                "max_attempts must be an int of at least 1",
                argument="max_attempts",
                reason="out_of_range",
            )
        initial = to_seconds(self.initial_retry_delay, argument="initial_retry_delay")
        if to_seconds(self.max_retry_delay, argument="max_retry_delay") < initial:
            raise InvalidArgumentError(
                "max_retry_delay must be at least initial_retry_delay",
                argument="max_retry_delay",
                reason="out_of_range",
            )
