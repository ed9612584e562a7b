"""`DeadLetterPolicy`: where a queue's dead messages go (discard, global target, a queue)."""

from __future__ import annotations

from dataclasses import dataclass

from sinew._core.argument_checks import require_group, require_name
from sinew.errors import InvalidArgumentError
from sinew.wire.enums import DeadLetterKind

__all__ = ["DeadLetterKind", "DeadLetterPolicy"]


@dataclass(frozen=True, slots=True)
class DeadLetterPolicy:
    """A queue's dead-letter policy. Build with `discard()`, `global_()` or `to_queue()`.

    `global_` has a trailing underscore because `global` is a Python keyword.
    """

    kind: DeadLetterKind
    topic: str | None = None
    group: str | None = None

    def __post_init__(self) -> None:
        # Arguments are named as the queue option they belong to (`dead_letter.topic`), as
        # every Sinew client names them.
        if not isinstance(self.kind, DeadLetterKind):
            raise InvalidArgumentError(
                "kind must be a DeadLetterKind", argument="dead_letter.kind", reason="wrong_type"
            )
        if self.kind == DeadLetterKind.QUEUE:
            require_name(self.topic, argument="dead_letter.topic")
            group = require_group(self.group, argument="dead_letter.group")
            object.__setattr__(self, "group", group)
        elif self.topic is not None or self.group is not None:
            raise InvalidArgumentError(
                f"a {self.kind.name.lower()} dead-letter policy names no queue",
                argument="dead_letter.topic",
                reason="conflicting_options",
            )

    @classmethod
    def discard(cls) -> DeadLetterPolicy:
        """Drop dead messages."""
        return cls(DeadLetterKind.DISCARD)

    @classmethod
    def global_(cls) -> DeadLetterPolicy:
        """Send dead messages to the broker's global dead-letter target: the broker's own
        `$dead-letters` queue until an operator sets another."""
        return cls(DeadLetterKind.GLOBAL)

    @classmethod
    def to_queue(cls, topic: str, group: str | None = None) -> DeadLetterPolicy:
        """Send dead messages to the queue `topic` in `group`."""
        return cls(DeadLetterKind.QUEUE, topic, group)
