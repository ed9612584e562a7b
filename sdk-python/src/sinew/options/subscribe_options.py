"""`SubscribeOptions` and `AckMode`: how a subscription receives and settles deliveries."""

from __future__ import annotations

from dataclasses import dataclass

from sinew._core.argument_checks import require_group, require_u32
from sinew.errors import InvalidArgumentError
from sinew.wire.enums import AckMode

__all__ = ["DEFAULT_PREFETCH", "AckMode", "SubscribeOptions"]

DEFAULT_PREFETCH = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscribeOptions:
    """Options for `SinewClient.subscribe`."""

    group: str | None = None
    """The queue's group (default: none; `""` and `"default"` mean none too)."""
    partition: int | None = None
    """One partition to consume; None consumes every partition, merged into one stream with
    one broker subscription per partition (default: None)."""
    prefetch: int = DEFAULT_PREFETCH
    """Most unsettled deliveries held at once, per partition subscription (default: 100);
    at most the broker's `max_prefetch`."""
    ack_mode: AckMode = AckMode.MANUAL
    """`MANUAL`: settle each delivery; `AUTO`: the broker settles on sending (default: MANUAL)."""

    def __post_init__(self) -> None:
        require_group(self.group)
        if self.partition is not None:
            require_u32(self.partition, argument="partition")
        require_u32(self.prefetch, argument="prefetch", minimum=1)
        if not isinstance(self.ack_mode, AckMode):
            raise InvalidArgumentError(
                "ack_mode must be an AckMode", argument="ack_mode", reason="wrong_type"
            )
