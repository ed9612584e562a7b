"""`QueueOptions`: the settings `declare_queue` asks for; absent ones mean the broker's default."""

from __future__ import annotations

from dataclasses import dataclass

from sinew._core.argument_checks import require_group, require_u32
from sinew.durations import Duration, to_milliseconds
from sinew.errors import InvalidArgumentError
from sinew.options.dead_letter_policy import DeadLetterPolicy

__all__ = ["QueueOptions"]


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueOptions:
    """Settings for `SinewClient.declare_queue`. None leaves a setting to the broker.

    Declaring an existing queue with settings that resolve to the same values succeeds;
    any difference is a `BrokerError` with code `conflict`.
    """

    group: str | None = None
    """The queue's group, a namespace (default: none; `""` and `"default"` mean none too)."""
    partitions: int | None = None
    """Partition count, at least 1, fixed at creation (broker default: 1)."""
    dead_letter: DeadLetterPolicy | None = None
    """Where dead messages go (broker default: its configured policy)."""
    max_retries: int | None = None
    """Redeliveries allowed after the first delivery."""
    default_ttl: Duration | None = None
    """Expiry for messages published without a TTL, 1 ms to 3650 days (broker default:
    never)."""
    lease: Duration | None = None
    """How long a delivery is held before it returns to ready unless settled or extended,
    100 ms to 12 hours."""

    def __post_init__(self) -> None:
        require_group(self.group)
        if self.partitions is not None:
            require_u32(self.partitions, argument="partitions", minimum=1)
        if self.dead_letter is not None and not isinstance(self.dead_letter, DeadLetterPolicy):
            raise InvalidArgumentError(
                "dead_letter must be a DeadLetterPolicy",
                argument="dead_letter",
                reason="wrong_type",
            )
        if self.max_retries is not None:
            require_u32(self.max_retries, argument="max_retries")
        if self.default_ttl is not None:
            to_milliseconds(
                self.default_ttl,
                argument="default_ttl",
                allow_zero=False,
                field="DeclareQueue.default_ttl_ms",
            )
        if self.lease is not None:
            to_milliseconds(
                self.lease, argument="lease", allow_zero=False, field="DeclareQueue.lease_ms"
            )
