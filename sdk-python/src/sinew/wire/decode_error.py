"""Decode errors: the typed failure a decoder reports for a frame it cannot accept."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sinew.wire.decode_error_kinds import DECODE_ERROR_CODES, FIELD_ERROR_KINDS, DecodeErrorKind

if TYPE_CHECKING:
    from sinew.wire.frame_header import FrameHeader

# The kinds and their error codes come from the registry (decode_error_kinds); they are
# re-exported here, beside the error that carries them.
__all__ = [
    "DECODE_ERROR_CODES",
    "FIELD_ERROR_KINDS",
    "HEADER_ONLY_KINDS",
    "DecodeErrorKind",
    "FrameDecodeError",
]


HEADER_ONLY_KINDS = frozenset(
    {
        DecodeErrorKind.BAD_MAGIC,
        DecodeErrorKind.UNSUPPORTED_VERSION,
        DecodeErrorKind.FRAME_TOO_LARGE,
    }
)
"""Kinds decided by the 16 header bytes alone, so a streaming reader reports them before the
body arrives. After one of them the byte stream cannot be resynchronised."""


class FrameDecodeError(Exception):
    """A frame that violates the decoding rules.

    `header` is the frame's header when all 16 header bytes were present and the magic was
    right (a broker needs its request id to answer `unknown_op`); `field` is the path of the
    offending field for field errors, such as `messages[2].headers`.
    """

    kind: DecodeErrorKind
    field: str | None
    header: FrameHeader | None

    def __init__(
        self,
        kind: DecodeErrorKind,
        detail: str,
        *,
        field: str | None = None,
        header: FrameHeader | None = None,
    ) -> None:
        where = f" at {field}" if field else ""
        super().__init__(f"{kind.value}{where}: {detail}")
        self.kind = kind
        self.field = field
        self.header = header
