"""A decoded frame: its header and its typed message."""

from __future__ import annotations

from dataclasses import dataclass

from sinew.wire.flags import FrameFlags
from sinew.wire.frame_header import FrameHeader
from sinew.wire.messages import Message
from sinew.wire.opcodes import Opcode

__all__ = ["Frame"]


@dataclass(frozen=True, slots=True)
class Frame:
    """One complete frame that passed every decoding check."""

    header: FrameHeader
    message: Message

    @property
    def opcode(self) -> Opcode:
        return Opcode(self.header.opcode)

    @property
    def flags(self) -> FrameFlags:
        return FrameFlags(self.header.flags)

    @property
    def request_id(self) -> int:
        return self.header.request_id
