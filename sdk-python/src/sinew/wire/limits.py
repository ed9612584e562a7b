"""Protocol limits (section 7.4 of the specification) and the integer ranges of the wire types."""

from __future__ import annotations

__all__ = [
    "DEFAULT_MAX_BATCH_MESSAGES",
    "DEFAULT_MAX_FRAME_BYTES",
    "DEFAULT_MAX_HEADERS",
    "DEFAULT_MAX_PREFETCH",
    "HANDSHAKE_MAX_FRAME_BYTES",
    "MAX_CONTENT_TYPE_BYTES",
    "MAX_HEADER_KEY_BYTES",
    "MAX_HEADER_VALUE_BYTES",
    "MAX_NAME_BYTES",
    "MAX_NESTING_DEPTH",
    "MAX_PRODUCER_ID_BYTES",
    "MAX_REASON_BYTES",
    "MAX_U8",
    "MAX_U16",
    "MAX_U32",
    "MAX_U64",
]

MAX_U8 = 0xFF
MAX_U16 = 0xFFFF
MAX_U32 = 0xFFFF_FFFF
MAX_U64 = 0xFFFF_FFFF_FFFF_FFFF

HANDSHAKE_MAX_FRAME_BYTES = 65_536
"""The body size every receiver accepts before the handshake has completed."""

DEFAULT_MAX_FRAME_BYTES = 16_777_216
"""The default `limits.max_frame_bytes` a broker announces in `HelloOk`."""

DEFAULT_MAX_BATCH_MESSAGES = 1024
DEFAULT_MAX_HEADERS = 64
DEFAULT_MAX_PREFETCH = 65_535

MAX_NAME_BYTES = 200
"""Longest topic, group or stream cursor name, in UTF-8 bytes."""

MAX_PRODUCER_ID_BYTES = 64
MAX_HEADER_KEY_BYTES = 128
MAX_HEADER_VALUE_BYTES = 4096
MAX_CONTENT_TYPE_BYTES = 255
MAX_REASON_BYTES = 1024
"""Longest `NackItem.reason`, in UTF-8 bytes."""

MAX_NESTING_DEPTH = 32
"""Deepest nesting of arrays and maps in a body, the body's own array being level 1. Deeper
bodies are `malformed_body`: the limit keeps a hostile body from exhausting a decoder's stack."""
