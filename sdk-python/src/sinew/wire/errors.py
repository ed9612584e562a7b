"""The error codes an `Error` frame carries (section 5.2 of the specification)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType

__all__ = ["ERROR_CODES", "ErrorCode", "ErrorCodeInfo", "error_code_info"]


class ErrorCode(IntEnum):
    """Stable numeric error codes; the lower-case member name is the code's protocol name.

    Codes are appended over time, so a client must also handle numbers missing here.
    """

    BAD_FRAME = 1
    PROTOCOL_MISMATCH = 2
    PROTOCOL_VIOLATION = 3
    FRAME_TOO_LARGE = 4
    UNKNOWN_OP = 5
    UNAUTHORIZED = 6
    INVALID = 7
    NOT_FOUND = 8
    CONFLICT = 9
    STALE_DELIVERY = 10
    REDIRECT = 11
    RESOURCE_EXHAUSTED = 12
    UNAVAILABLE = 13
    QUARANTINED = 14
    TIMEOUT = 15
    INTERNAL = 16


@dataclass(frozen=True, slots=True)
class ErrorCodeInfo:
    """What the specification says about one error code."""

    code: ErrorCode
    retryable: bool
    """The value brokers send; the flag in a received frame is authoritative."""
    closes_connection: bool

    @property
    def name(self) -> str:
        """The protocol name of the code, e.g. `stale_delivery`."""
        return self.code.name.lower()


def _table(*rows: tuple[ErrorCode, bool, bool]) -> Mapping[ErrorCode, ErrorCodeInfo]:
    return MappingProxyType(
        {code: ErrorCodeInfo(code, retryable, closes) for code, retryable, closes in rows}
    )


ERROR_CODES: Mapping[ErrorCode, ErrorCodeInfo] = _table(
    # code                           retryable  closes the connection
    (ErrorCode.BAD_FRAME, False, True),
    (ErrorCode.PROTOCOL_MISMATCH, False, True),
    (ErrorCode.PROTOCOL_VIOLATION, False, True),
    (ErrorCode.FRAME_TOO_LARGE, False, True),
    (ErrorCode.UNKNOWN_OP, False, False),
    (ErrorCode.UNAUTHORIZED, False, True),
    (ErrorCode.INVALID, False, False),
    (ErrorCode.NOT_FOUND, False, False),
    (ErrorCode.CONFLICT, False, False),
    (ErrorCode.STALE_DELIVERY, False, False),
    (ErrorCode.REDIRECT, True, False),
    (ErrorCode.RESOURCE_EXHAUSTED, True, False),
    (ErrorCode.UNAVAILABLE, True, False),
    (ErrorCode.QUARANTINED, False, False),
    (ErrorCode.TIMEOUT, True, False),
    (ErrorCode.INTERNAL, False, False),
)
"""Every known error code with its retryable and closes-the-connection properties."""


def error_code_info(code: int) -> ErrorCodeInfo | None:
    """The table row for a code, or None for a code this version does not know."""
    try:
        return ERROR_CODES[ErrorCode(code)]
    except ValueError:
        return None
