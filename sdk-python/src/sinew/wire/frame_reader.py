"""Incremental frame reading from a byte stream such as a TCP connection."""

from __future__ import annotations

from sinew.wire.codec import decode_frame_body
from sinew.wire.decode_error import DecodeErrorKind, FrameDecodeError
from sinew.wire.frame import Frame
from sinew.wire.frame_header import (
    HEADER_SIZE,
    BytesLike,
    FrameHeader,
    check_max_frame_bytes,
    parse_frame_header,
)

__all__ = ["FrameReader"]


class FrameReader:
    """Splits a byte stream into frames.

    Bytes go in with `feed` in chunks of any size; `next_frame` returns the next complete
    frame, or None until more bytes arrive. The header-only checks (`bad_magic`,
    `unsupported_version`, `frame_too_large`) fire as soon as 16 header bytes are buffered,
    without waiting for the body. Such an error leaves the stream unreadable, so every later
    call raises it again. Errors found once the whole frame is buffered (`unknown_opcode`,
    `bad_flags` and the body errors) consume that frame: after `unknown_opcode`, which does
    not close the connection, reading continues with the next frame.

    When the peer closes the connection, `finish` reports a partial frame left behind.
    """

    def __init__(self, *, max_frame_bytes: int) -> None:
        self._max_frame_bytes = check_max_frame_bytes(max_frame_bytes)
        self._buffer = bytearray()
        self._start = 0
        self._header: FrameHeader | None = None
        self._failure: FrameDecodeError | None = None

    @property
    def max_frame_bytes(self) -> int:
        """The largest body accepted; raised from the handshake limit once `HelloOk` is in."""
        return self._max_frame_bytes

    @max_frame_bytes.setter
    def max_frame_bytes(self, value: int) -> None:
        self._max_frame_bytes = check_max_frame_bytes(value)

    @property
    def buffered_bytes(self) -> int:
        """Bytes received but not yet returned as part of a frame."""
        return len(self._buffer) - self._start

    def feed(self, data: BytesLike) -> None:
        """Append bytes received from the peer."""
        self._buffer += data

    def next_frame(self) -> Frame | None:
        """The next complete frame, or None if more bytes are needed.

        Raises `FrameDecodeError` for a frame the decoding rules reject.
        """
        header = self._buffered_header()
        if header is None:
            return None
        frame_end = self._start + HEADER_SIZE + header.body_length
        if len(self._buffer) < frame_end:
            return None
        body = bytes(self._buffer[self._start + HEADER_SIZE : frame_end])
        self._consume_through(frame_end)
        return decode_frame_body(header, body)

    def finish(self) -> None:
        """Declare the end of the stream, once `next_frame` has returned None.

        Raises `FrameDecodeError` if a partial frame is buffered (`truncated_header`,
        `truncated_body`, or a header-only error if its header is complete); an end of stream
        between frames is not an error.
        """
        if self.buffered_bytes == 0 and self._failure is None:
            return
        if self.buffered_bytes < HEADER_SIZE and self._failure is None:
            raise FrameDecodeError(
                DecodeErrorKind.TRUNCATED_HEADER,
                f"the stream ended {self.buffered_bytes} byte(s) into a header",
            )
        header = self._buffered_header()
        assert header is not None  # at least HEADER_SIZE bytes are buffered
        body_bytes = self.buffered_bytes - HEADER_SIZE
        if body_bytes >= header.body_length:
            raise RuntimeError("a complete frame is still buffered; read it with next_frame()")
        raise FrameDecodeError(
            DecodeErrorKind.TRUNCATED_BODY,
            f"the stream ended {body_bytes} of {header.body_length} body bytes into a frame",
            header=header,
        )

    def _buffered_header(self) -> FrameHeader | None:
        """The header of the frame at the front of the buffer, once all 16 bytes are in."""
        if self._failure is not None:
            raise self._failure
        if self._header is None and self.buffered_bytes >= HEADER_SIZE:
            try:
                # A copy, not a memoryview: a live view would stop the buffer from growing.
                self._header = parse_frame_header(
                    bytes(self._buffer[self._start : self._start + HEADER_SIZE]),
                    max_frame_bytes=self._max_frame_bytes,
                )
            except FrameDecodeError as error:
                self._failure = error
                raise
        return self._header

    def _consume_through(self, end: int) -> None:
        self._header = None
        self._start = end
        # Compact lazily: dropping the prefix copies what follows, so do it only once the
        # consumed part outweighs the rest, keeping the cost linear in the bytes received.
        if self._start * 2 >= len(self._buffer):
            del self._buffer[: self._start]
            self._start = 0
