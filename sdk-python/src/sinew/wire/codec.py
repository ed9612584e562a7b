"""Frame encoding and decoding: typed messages to wire bytes and back.

`encode_frame` always writes the canonical form. `decode_frame` takes exactly one frame and
applies every check of section 6 in its order of precedence; `decode_frame_body` holds the
checks that need the complete body and is shared with `FrameReader`.
"""

from __future__ import annotations

from sinew.wire.body_decoder import decode_body
from sinew.wire.body_encoder import encode_body
from sinew.wire.decode_error import DecodeErrorKind, FrameDecodeError
from sinew.wire.encode_error import FrameEncodeError
from sinew.wire.flags import DEFINED_FLAGS, FrameFlags, allowed_flags
from sinew.wire.frame import Frame
from sinew.wire.frame_header import (
    HEADER_SIZE,
    PROTOCOL_VERSION,
    SUPPORTED_VERSIONS,
    BytesLike,
    FrameHeader,
    parse_frame_header,
)
from sinew.wire.limits import MAX_U32
from sinew.wire.messages import Message
from sinew.wire.opcodes import Opcode
from sinew.wire.schema import OP_SCHEMAS, op_schema_for

__all__ = ["decode_frame", "decode_frame_body", "encode_frame"]


def encode_frame(
    message: Message,
    *,
    request_id: int = 0,
    flags: int = 0,
    version: int = PROTOCOL_VERSION,
) -> bytes:
    """Encode `message` as one canonical frame, header included.

    Raises `FrameEncodeError` when the message or header values cannot form a valid frame,
    including flags that are undefined or not allowed on this op, and `TypeError` when
    `message` is not a protocol message.
    """
    schema = op_schema_for(message)
    if version not in SUPPORTED_VERSIONS:
        raise FrameEncodeError(f"version {version} is not spoken here", field="header.version")
    if isinstance(flags, bool) or not isinstance(flags, int):
        raise FrameEncodeError(f"expected an int, got {type(flags).__name__}", field="header.flags")
    # IntFlag's ~ stays within the defined members, so masks are inverted as plain ints.
    if flags & ~int(allowed_flags(schema.opcode)):
        raise FrameEncodeError(
            f"flags 0x{flags:04x} are not allowed on {schema.name}", field="header.flags"
        )
    body = encode_body(message)
    if len(body) > MAX_U32:
        raise FrameEncodeError(f"the body is {len(body)} bytes, more than a frame can carry")
    header = FrameHeader(
        version=version,
        opcode=schema.opcode,
        flags=flags,
        request_id=request_id,
        body_length=len(body),
    )
    return header.pack() + body


def decode_frame(data: BytesLike, *, max_frame_bytes: int) -> Frame:
    """Decode `data`, which must hold exactly one complete frame.

    Raises `FrameDecodeError` for a frame the decoding rules reject (fewer bytes than the
    frame needs are `truncated_header` or `truncated_body`), and `ValueError` when `data`
    continues past the end of the frame, which is a mistake of the caller rather than of the
    frame: a stream of frames is read with `FrameReader`.
    """
    header = parse_frame_header(data, max_frame_bytes=max_frame_bytes)
    frame_end = HEADER_SIZE + header.body_length
    if len(data) < frame_end:
        raise FrameDecodeError(
            DecodeErrorKind.TRUNCATED_BODY,
            f"{len(data) - HEADER_SIZE} of {header.body_length} body bytes present",
            header=header,
        )
    if len(data) > frame_end:
        raise ValueError(
            f"data continues {len(data) - frame_end} byte(s) past the end of the frame; "
            "decode_frame takes exactly one frame"
        )
    # A copy rather than a view: a view kept alive by a raised error's traceback would
    # stop the caller's bytearray from being resized.
    return decode_frame_body(header, bytes(memoryview(data)[HEADER_SIZE:frame_end]))


def decode_frame_body(header: FrameHeader, body: BytesLike) -> Frame:
    """Apply the checks that follow the header checks: opcode, flags, body and fields.

    `header` must come from `parse_frame_header` and `body` must be its complete body.
    """
    try:
        opcode = Opcode(header.opcode)
    except ValueError:
        raise FrameDecodeError(
            DecodeErrorKind.UNKNOWN_OPCODE,
            f"opcode 0x{header.opcode:02x} is not defined",
            header=header,
        ) from None
    schema = OP_SCHEMAS[opcode]
    if header.reserved:
        raise FrameDecodeError(
            DecodeErrorKind.BAD_FLAGS,
            f"reserved bytes are 0x{header.reserved:04x}, not zero",
            header=header,
        )
    if header.flags & ~int(DEFINED_FLAGS):
        raise FrameDecodeError(
            DecodeErrorKind.BAD_FLAGS, f"undefined flag bits in 0x{header.flags:04x}", header=header
        )
    disallowed = header.flags & ~int(allowed_flags(opcode))
    if disallowed:
        raise FrameDecodeError(
            DecodeErrorKind.BAD_FLAGS,
            f"flag {FrameFlags(disallowed)!r} is not allowed on {schema.name}",
            header=header,
        )
    try:
        message = decode_body(schema, body)
    except FrameDecodeError as error:
        error.header = header
        raise
    return Frame(header=header, message=message)
