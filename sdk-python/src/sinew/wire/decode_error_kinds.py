"""Decode error kinds: what a decoder reports for a frame it rejects, in the order it checks,
and the error code a broker answers each with."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from sinew.wire.errors import ErrorCode

__all__ = ["DECODE_ERROR_CODES", "FIELD_ERROR_KINDS", "DecodeErrorKind"]


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
