"""Protocol limits (section 7.4 of the specification) and the integer ranges of the wire types."""

from __future__ import annotations

__all__ = [
    "DEFAULT_MAX_BATCH_MESSAGES",
    "DEFAULT_MAX_FRAME_BYTES",
    "DEFAULT_MAX_HEADERS",
    "DEFAULT_MAX_PREFETCH",
    "HANDSHAKE_MAX_FRAME_BYTES",
    "MAX_CONTENT_TYPE_BYTES",
    "MAX_DELAY_MS",
    "MAX_HEADER_KEY_BYTES",
    "MAX_HEADER_VALUE_BYTES",
    "MAX_HEARTBEAT_MS",
    "MAX_LEASE_MS",
    "MAX_NAME_BYTES",
    "MAX_NESTING_DEPTH",
    "MAX_PRODUCER_ID_BYTES",
    "MAX_REASON_BYTES",
    "MAX_RETENTION_AGE_MS",
    "MAX_TTL_MS",
    "MAX_U8",
    "MAX_U16",
    "MAX_U32",
    "MAX_U64",
    "MIN_HEARTBEAT_MS",
    "MIN_LEASE_MS",
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

MAX_TTL_MS = 315_360_000_000
"""Longest TTL of a message or a queue's default: 3650 days."""

MAX_DELAY_MS = 315_360_000_000
"""Longest delay of a publish or a retry, and how far ahead a not-before time may be: 3650 days."""

MIN_LEASE_MS = 100
MAX_LEASE_MS = 43_200_000
"""Longest lease of a queue or a lease extension: 12 hours."""

MIN_HEARTBEAT_MS = 1000
"""Shortest heartbeat proposal a broker takes; it answers a shorter one with its own interval."""

MAX_HEARTBEAT_MS = 300_000
"""Longest heartbeat, 5 minutes: a client proposes no more, and uses no more whatever a broker
announces."""

MAX_RETENTION_AGE_MS = 315_360_000_000
"""Longest retention age of a stream: 3650 days."""
