"""The Sinew wire protocol, version 1: frames, typed messages and their canonical encoding.

Everything a client or broker needs to turn messages into bytes and back:

- `encode_frame` / `decode_frame` for single frames, `FrameReader` for a byte stream;
- the typed messages (`Hello`, `Publish`, `Deliver`, ...) and their records;
- the registry constants: `Opcode`, `FrameFlags`, `ErrorCode`, the enums and the limits;
- `FrameDecodeError` with its `DecodeErrorKind`, and `FrameEncodeError`.
"""

from __future__ import annotations

from sinew.wire import enums, messages
from sinew.wire.codec import decode_frame, decode_frame_body, encode_frame
from sinew.wire.decode_error import DecodeErrorKind, FrameDecodeError
from sinew.wire.encode_error import FrameEncodeError
from sinew.wire.enums import *  # noqa: F403
from sinew.wire.errors import ERROR_CODES, ErrorCode, ErrorCodeInfo, error_code_info
from sinew.wire.flags import FrameFlags
from sinew.wire.frame import Frame
from sinew.wire.frame_header import (
    HEADER_SIZE,
    MAGIC,
    PROTOCOL_VERSION,
    SUPPORTED_VERSIONS,
    FrameHeader,
)
from sinew.wire.frame_reader import FrameReader
from sinew.wire.messages import *  # noqa: F403
from sinew.wire.opcodes import Opcode

__all__ = [
    "ERROR_CODES",
    "HEADER_SIZE",
    "MAGIC",
    "PROTOCOL_VERSION",
    "SUPPORTED_VERSIONS",
    "DecodeErrorKind",
    "ErrorCode",
    "ErrorCodeInfo",
    "Frame",
    "FrameDecodeError",
    "FrameEncodeError",
    "FrameFlags",
    "FrameHeader",
    "FrameReader",
    "Opcode",
    "decode_frame",
    "decode_frame_body",
    "encode_frame",
    "error_code_info",
]
__all__ += enums.__all__
__all__ += messages.__all__
