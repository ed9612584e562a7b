"""The enumerations carried in message fields (section 11 of the specification).

Each class is named as in the registry; the lower-case member name is the value's protocol
name (`AckMode.MANUAL` is `manual`). On the wire an enum is its unsigned number, and a number
not listed here is rejected with `invalid_value`.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "AckMode",
    "AuthMechanism",
    "ChannelKind",
    "CloseReason",
    "DeadLetterKind",
    "ReconcileOutcome",
    "ReconcilePolicy",
    "StreamDurability",
    "StreamStartKind",
]


class AuthMechanism(IntEnum):
    """How `Auth.identity` and `Auth.secret` are read."""

    PLAIN = 0
    TOKEN = 1


class AckMode(IntEnum):
    """Whether deliveries are settled by the consumer or on write."""

    MANUAL = 0
    AUTO = 1


class DeadLetterKind(IntEnum):
    """Where a queue's dead messages go."""

    DISCARD = 0
    GLOBAL = 1
    QUEUE = 2


class StreamDurability(IntEnum):
    """When a stream fsyncs relative to delivering and confirming."""

    EPHEMERAL = 0
    SPECULATIVE = 1
    DURABLE = 2


class StreamStartKind(IntEnum):
    """Where an ephemeral stream reader starts."""

    LATEST = 0
    EARLIEST = 1
    OFFSET = 2
    N_BACK = 3
    BY_TIME = 4


class ChannelKind(IntEnum):
    """Whether a channel is a queue or a stream."""

    QUEUE = 0
    STREAM = 1


class CloseReason(IntEnum):
    """Why the broker ended a subscription on its own."""

    SERVER_SHUTDOWN = 0
    DELETED = 1
    QUARANTINED = 2
    RECONCILE_CLOSED = 3
    CURSOR_TAKEN_OVER = 4
    INTERNAL = 5


class ReconcilePolicy(IntEnum):
    """What the broker may do with subscriptions it lost across a resume."""

    CONSERVATIVE = 0
    RESTORE = 1


class ReconcileOutcome(IntEnum):
    """The broker's verdict on one subscription listed in `Reconcile`."""

    KEPT = 0
    RESTORED = 1
    CLOSED = 2
