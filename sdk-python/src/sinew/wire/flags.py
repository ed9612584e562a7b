"""Frame flags (header bytes 4-5) and the ops each flag may appear on."""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntFlag
from types import MappingProxyType

from sinew.wire.opcodes import Opcode

__all__ = ["DEFINED_FLAGS", "FLAG_OPS", "FrameFlags", "allowed_flags"]


class FrameFlags(IntFlag):
    """The flag bits defined in protocol version 1; every other bit must be zero."""

    CONFIRM = 0x0001
    """The sender wants a `PublishOk` once every message of the frame is durable."""


DEFINED_FLAGS = FrameFlags.CONFIRM
"""Every defined flag bit; a frame with any other bit set is rejected with `bad_flags`."""

FLAG_OPS: Mapping[FrameFlags, frozenset[Opcode]] = MappingProxyType(
    {FrameFlags.CONFIRM: frozenset({Opcode.PUBLISH, Opcode.PUBLISH_BATCH})}
)
"""For each flag, the ops that allow it."""


def allowed_flags(opcode: Opcode) -> FrameFlags:
    """The flags a frame with this opcode may carry."""
    allowed = FrameFlags(0)
    for flag, ops in FLAG_OPS.items():
        if opcode in ops:
            allowed |= flag
    return allowed
