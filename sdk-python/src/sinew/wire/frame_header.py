"""The fixed 16-byte frame header and the checks that need only the header.

Layout (all integers unsigned, big-endian):

    offset  size  field
    0       2     magic, always "SN"
    2       1     version
    3       1     opcode
    4       2     flags
    6       2     reserved, must be zero
    8       4     request_id
    12      4     body_length
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from sinew.wire.decode_error import DecodeErrorKind, FrameDecodeError
from sinew.wire.encode_error import FrameEncodeError
from sinew.wire.limits import MAX_U8, MAX_U16, MAX_U32

__all__ = [
    "HEADER_LAYOUT",
    "HEADER_SIZE",
    "MAGIC",
    "PROTOCOL_VERSION",
    "SUPPORTED_VERSIONS",
    "BytesLike",
    "FrameHeader",
    "check_max_frame_bytes",
    "parse_frame_header",
]

BytesLike = bytes | bytearray | memoryview

MAGIC: Final = b"SN"
HEADER_SIZE: Final = 16
PROTOCOL_VERSION: Final = 1
SUPPORTED_VERSIONS: Final = frozenset({PROTOCOL_VERSION})
"""The body encodings this codec speaks; a frame in any other version is `unsupported_version`."""

_HEADER_FIELD_FORMATS: Final = (
    ("magic", "2s"),
    ("version", "B"),
    ("opcode", "B"),
    ("flags", "H"),
    ("reserved", "H"),
    ("request_id", "I"),
    ("body_length", "I"),
)
_LAYOUT: Final = struct.Struct(">" + "".join(code for _, code in _HEADER_FIELD_FORMATS))



def _header_layout() -> tuple[tuple[str, int, int], ...]:
    layout: list[tuple[str, int, int]] = []
    offset = 0
    for name, code in _HEADER_FIELD_FORMATS:
        size = struct.calcsize(">" + code)
        layout.append((name, offset, size))
        offset += size
    return tuple(layout)


HEADER_LAYOUT: Final = _header_layout()
"""(name, offset, size) of every header field, in wire order."""


@dataclass(frozen=True, slots=True)
class FrameHeader:
    """A frame header as read from or written to the wire (the magic is implied).

    The fields are plain integers so that a header whose opcode or flags this version does
    not define can still be reported (see `FrameDecodeError.header`).
    """

    version: int
    opcode: int
    flags: int
    request_id: int
    body_length: int
    reserved: int = 0

    def pack(self) -> bytes:
        """The 16 header bytes; raises `FrameEncodeError` for a field outside its range."""
        for name, value, limit in (
            ("version", self.version, MAX_U8),
            ("opcode", self.opcode, MAX_U8),
            ("flags", self.flags, MAX_U16),
            ("reserved", self.reserved, MAX_U16),
            ("request_id", self.request_id, MAX_U32),
            ("body_length", self.body_length, MAX_U32),
        ):
            if isinstance(value, bool) or not isinstance(value, int):
                raise FrameEncodeError(
                    f"must be an int, not {type(value).__name__}", field=f"header.{name}"
                )
            if not 0 <= value <= limit:
                raise FrameEncodeError(f"{value} is outside 0..{limit}", field=f"header.{name}")
        return _LAYOUT.pack(
            MAGIC,
            self.version,
            self.opcode,
            self.flags,
            self.reserved,
            self.request_id,
            self.body_length,
        )


def check_max_frame_bytes(max_frame_bytes: int) -> int:
    """Validate a body-size limit given by the caller and return it."""
    if isinstance(max_frame_bytes, bool) or not isinstance(max_frame_bytes, int):
        raise TypeError(f"max_frame_bytes must be an int, not {type(max_frame_bytes).__name__}")
    if not 0 <= max_frame_bytes <= MAX_U32:
        raise ValueError(f"max_frame_bytes must be within 0..{MAX_U32}, got {max_frame_bytes}")
    return max_frame_bytes


def parse_frame_header(data: BytesLike, *, max_frame_bytes: int) -> FrameHeader:
    """Read the header at the start of `data` and apply the header-only checks.

    Raises `FrameDecodeError` with, in this order of precedence, `truncated_header` (fewer
    than 16 bytes), `bad_magic`, `unsupported_version` or `frame_too_large`. Opcode and
    flags are checked later, once the body is complete, because an unknown opcode's body
    must be skipped rather than treated as fatal.
    """
    check_max_frame_bytes(max_frame_bytes)
    if len(data) < HEADER_SIZE:
        raise FrameDecodeError(
            DecodeErrorKind.TRUNCATED_HEADER, f"{len(data)} of {HEADER_SIZE} header bytes present"
        )
    magic, version, opcode, flags, reserved, request_id, body_length = _LAYOUT.unpack_from(data)
    if magic != MAGIC:
        raise FrameDecodeError(
            DecodeErrorKind.BAD_MAGIC, f"expected {MAGIC.hex()}, got {bytes(magic).hex()}"
        )
    header = FrameHeader(
        version=version,
        opcode=opcode,
        flags=flags,
        request_id=request_id,
        body_length=body_length,
        reserved=reserved,
    )
    if version not in SUPPORTED_VERSIONS:
        raise FrameDecodeError(
            DecodeErrorKind.UNSUPPORTED_VERSION,
            f"version {version} is not spoken here",
            header=header,
        )
    if body_length > max_frame_bytes:
        raise FrameDecodeError(
            DecodeErrorKind.FRAME_TOO_LARGE,
            f"body_length {body_length} exceeds the limit of {max_frame_bytes}",
            header=header,
        )
    return header
