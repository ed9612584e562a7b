"""The handshake (section 4 of the specification): `Hello` out, `HelloOk` or `Error` back.

The client offers versions 1..1 and sends no resume token: every connection starts a new
session. Every failure here is typed: the broker's `Error` becomes
a `BrokerError` (`unauthorized`, `protocol_mismatch`); an unreachable endpoint, bytes that are
not Sinew frames (an HTTP server, a TLS endpoint), an early close or a version outside the
offer become a `SinewConnectionError` saying so, without waiting for a timeout.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Final

from sinew.connection.endpoint import Endpoint
from sinew.connection.settings import ConnectionSettings
from sinew.durations import heartbeat_in_use
from sinew.errors import SinewConnectionError, SinewError, broker_error
from sinew.wire.codec import encode_frame
from sinew.wire.decode_error import DecodeErrorKind, FrameDecodeError
from sinew.wire.frame_header import PROTOCOL_VERSION
from sinew.wire.frame_reader import FrameReader
from sinew.wire.limits import HANDSHAKE_MAX_FRAME_BYTES
from sinew.wire.messages import Error, Hello, HelloOk

__all__ = [
    "HELLO_REQUEST_ID",
    "MAX_VERSION",
    "MIN_VERSION",
    "READ_CHUNK_BYTES",
    "Handshaken",
    "abort_stream",
    "build_hello",
    "connect",
    "describe",
    "perform_handshake",
]

MIN_VERSION: Final = PROTOCOL_VERSION
MAX_VERSION: Final = PROTOCOL_VERSION
HELLO_REQUEST_ID: Final = 1
READ_CHUNK_BYTES: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class Handshaken:
    """A socket whose handshake is done, ready for a connection's tasks."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    frames: FrameReader
    """The frame reader, holding any frame that arrived right after `HelloOk`."""
    session: HelloOk


async def connect(endpoint: Endpoint, settings: ConnectionSettings) -> Handshaken:
    """Open a TCP connection and complete the handshake within `settings.connect_timeout`.

    Raises `SinewConnectionError` when the broker cannot be reached or is not a Sinew broker,
    and `BrokerError` when it refuses the handshake. The socket is closed on any failure.
    """
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(settings.connect_timeout):
            reader, writer = await asyncio.open_connection(endpoint.host, endpoint.port)
            frames = FrameReader(max_frame_bytes=HANDSHAKE_MAX_FRAME_BYTES)
            session = await perform_handshake(
                reader, writer, frames, build_hello(settings), str(endpoint)
            )
    except TimeoutError as error:
        abort_stream(writer)
        raise SinewConnectionError(
            f"{endpoint} did not complete the handshake within "
            f"{settings.connect_timeout:g} s (connect_timeout)"
        ) from error
    except (SinewError, asyncio.CancelledError):
        # Already typed; SinewConnectionError is an OSError and must not be wrapped again.
        abort_stream(writer)
        raise
    except OSError as error:
        abort_stream(writer)
        raise SinewConnectionError(f"could not connect to {endpoint}: {error}") from error
    except BaseException:
        abort_stream(writer)
        raise
    frames.max_frame_bytes = session.limits.max_frame_bytes
    return Handshaken(reader=reader, writer=writer, frames=frames, session=session)


def abort_stream(writer: asyncio.StreamWriter | None) -> None:
    """Close the socket at once, without waiting to flush."""
    if writer is not None:
        writer.transport.abort()


def build_hello(settings: ConnectionSettings) -> Hello:
    return Hello(
        min_version=MIN_VERSION,
        max_version=MAX_VERSION,
        client_name=settings.client_name,
        client_version=settings.client_version,
        auth=settings.credentials,
        heartbeat_ms=settings.heartbeat_ms,
    )


def _not_sinew(endpoint: str, error: FrameDecodeError) -> SinewConnectionError:
    if error.kind == DecodeErrorKind.BAD_MAGIC:
        why = "it answered with bytes that are not Sinew frames; is this a Sinew broker port?"
    elif error.kind in (DecodeErrorKind.TRUNCATED_HEADER, DecodeErrorKind.TRUNCATED_BODY):
        why = "it closed the connection in the middle of a frame"
    else:
        why = f"its answer could not be decoded ({error})"
    return SinewConnectionError(f"the handshake with {endpoint} failed: {why}")


async def perform_handshake(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    frames: FrameReader,
    hello: Hello,
    endpoint: str,
) -> HelloOk:
    """Send `Hello` and read until the broker's answer.

    Frames after `HelloOk` that arrived in the same read stay buffered in `frames` for the
    connection's read loop.
    """
    writer.write(encode_frame(hello, request_id=HELLO_REQUEST_ID))
    await writer.drain()
    while True:
        try:
            frame = frames.next_frame()
        except FrameDecodeError as error:
            raise _not_sinew(endpoint, error) from error
        if frame is None:
            data = await reader.read(READ_CHUNK_BYTES)
            if not data:
                try:
                    frames.finish()
                except FrameDecodeError as error:
                    raise _not_sinew(endpoint, error) from error
                raise SinewConnectionError(
                    f"{endpoint} closed the connection before answering the handshake"
                )
            frames.feed(data)
            continue
        message = frame.message
        if isinstance(message, Error):
            raise broker_error(
                message.code,
                retryable=message.retryable,
                broker_message=message.message,
                details=message.details,
                context=f"the handshake with {endpoint}",
            )
        if isinstance(message, HelloOk):
            if not MIN_VERSION <= message.version <= MAX_VERSION:
                raise SinewConnectionError(
                    f"{endpoint} chose protocol version {message.version}, outside the "
                    f"{MIN_VERSION}..{MAX_VERSION} this client offered"
                )
            # Past 5 minutes an interval would only delay noticing a dead broker, so a larger
            # announcement is read as the maximum.
            return replace(message, heartbeat_ms=heartbeat_in_use(message.heartbeat_ms))
        raise SinewConnectionError(
            f"the handshake with {endpoint} failed: it sent {type(message).__name__} "
            "before HelloOk, which the protocol forbids"
        )


def describe(error: BaseException) -> str:
    """A short description of a connection attempt's failure, for aggregated messages."""
    if isinstance(error, SinewError):
        return error.message
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
