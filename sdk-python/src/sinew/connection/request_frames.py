"""Encoding a request for sending: a message the codec refuses, or a frame over the broker's
`max_frame_bytes`, is the caller's `InvalidArgumentError`, raised before anything is sent."""

from __future__ import annotations

from sinew.errors import InvalidArgumentError
from sinew.wire.codec import encode_frame
from sinew.wire.encode_error import FrameEncodeError
from sinew.wire.frame_header import HEADER_SIZE
from sinew.wire.messages import Message

__all__ = ["encode_request"]


def encode_request(
    message: Message, *, request_id: int, flags: int, context: str, max_frame_bytes: int
) -> bytes:
    try:
        frame = encode_frame(message, request_id=request_id, flags=flags)
    except FrameEncodeError as error:
        raise InvalidArgumentError(
            f"{context}: {error}", argument=error.field or "message", reason="not_encodable"
        ) from error
    body_length = len(frame) - HEADER_SIZE
    if body_length > max_frame_bytes:
        raise InvalidArgumentError(
            f"{context}: the frame body would be {body_length} bytes, more than the "
            f"broker's limit of {max_frame_bytes}; shrink the payload or split the batch",
            argument="payload",
            reason="frame_too_large",
        )
    return frame
