"""Decode errors: the typed failure a decoder reports for a frame it cannot accept."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

from sinew.wire.errors import ErrorCode

if TYPE_CHECKING:
    from sinew.wire.frame_header import FrameHeader

__all__ = [
    "DECODE_ERROR_CODES",
    "FIELD_ERROR_KINDS",
    "HEADER_ONLY_KINDS",
    "DecodeErrorKind",
    "FrameDecodeError",
]


class DecodeErrorKind(StrEnum):
    """The twelve decode error kinds of section 6, in the order a decoder checks them.

    The last three are field errors, which share one place in that order: fields are
    checked one by one, depth first, and the first failing field decides the kind.
    """

    TRUNCATED_HEADER = "truncated_header"
    BAD_MAGIC = "bad_magic"
    UNSUPPORTED_VERSION = "unsupported_version"
    FRAME_TOO_LARGE = "frame_too_large"
    TRUNCATED_BODY = "truncated_body"
    UNKNOWN_OPCODE = "unknown_opcode"
    BAD_FLAGS = "bad_flags"
    MALFORMED_BODY = "malformed_body"
    TRAILING_BYTES = "trailing_bytes"
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    INVALID_VALUE = "invalid_value"

    @property
    def error_code(self) -> ErrorCode:
        """The error code a broker answers this kind of failure with."""
        return DECODE_ERROR_CODES[self]


FIELD_ERROR_KINDS = frozenset(
    {DecodeErrorKind.MISSING_FIELD, DecodeErrorKind.WRONG_TYPE, DecodeErrorKind.INVALID_VALUE}
)

HEADER_ONLY_KINDS = frozenset(
    {
        DecodeErrorKind.BAD_MAGIC,
        DecodeErrorKind.UNSUPPORTED_VERSION,
        DecodeErrorKind.FRAME_TOO_LARGE,
    }
)
"""Kinds decided by the 16 header bytes alone, so a streaming reader reports them before the
body arrives. After one of them the byte stream cannot be resynchronised."""

DECODE_ERROR_CODES: Mapping[DecodeErrorKind, ErrorCode] = MappingProxyType(
    {
        kind: {
            DecodeErrorKind.UNSUPPORTED_VERSION: ErrorCode.PROTOCOL_MISMATCH,
            DecodeErrorKind.FRAME_TOO_LARGE: ErrorCode.FRAME_TOO_LARGE,
            DecodeErrorKind.UNKNOWN_OPCODE: ErrorCode.UNKNOWN_OP,
        }.get(kind, ErrorCode.BAD_FRAME)
        for kind in DecodeErrorKind
    }
)


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
