"""A frame scripter standing in for the broker, for what a real broker cannot be made to do or
show: the exact frames a client sends, answers a correct broker never gives on cue, and the
times of connection attempts.

It is an asyncio server on 127.0.0.1, port 0. On each connection it answers the client's
`Hello` (by default with the `hello-ok/new-session` vector's bytes, see scripted_frames.py),
answers `Ping` with `Pong` and `Goodbye` with `Ok` as every broker does, and records every
frame the client sends. Everything else it says only when the test tells it to: a reply to a
recorded request (`reply`, or `answer` for every request of one kind), a push, raw bytes,
silence, or a dropped connection. It keeps no queues, messages, deliveries or settlements;
tests of those run against the real broker (tests/broker/).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

from support.scripted_frames import Handshake, Reply, vector_hello_ok

from sinew.wire import (
    Error,
    Frame,
    FrameDecodeError,
    FrameReader,
    Goodbye,
    Hello,
    HelloOk,
    Ok,
    Ping,
    Pong,
    decode_frame,
    encode_frame,
)

READ_CHUNK_BYTES = 65_536
MAX_FRAME_BYTES = 16 * 1024 * 1024

T = TypeVar("T")
Responder = Callable[[Frame], Reply | None]
"""Builds the reply to one recorded request, or None to leave it to `next_frame` and `reply`."""


class FakeConnection:
    """One client connection."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.hello: Hello | None = None
        self.handshaken = False
        self.muted = False
        """When set, nothing more is sent, not even a `Pong`: a broker that went quiet."""
        self._pongs: dict[int, asyncio.Future[None]] = {}
        self._ping_ids = iter(range(1, 1 << 32))

    def send(self, reply: Reply, request_id: int = 0) -> None:
        """Writes a message with `request_id`, or a whole frame given as bytes, unless muted
        or closed."""
        if self.muted or self.writer.is_closing():
            return
        self.writer.write(reply if isinstance(reply, bytes) else encode_frame(reply, request_id=request_id))

    def drop(self) -> None:
        """Closes the socket abruptly, as a crash or a network failure would."""
        self.writer.transport.abort()

    async def ping(self, timeout: float = 2.0) -> None:
        """Sends a `Ping` and waits for the client's `Pong` with the same request id."""
        request_id = next(self._ping_ids)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pongs[request_id] = future
        self.send(Ping(), request_id)
        await asyncio.wait_for(future, timeout)

    def pong_received(self, request_id: int) -> None:
        future = self._pongs.pop(request_id, None)
        if future is not None and not future.done():
            future.set_result(None)


class FakeBroker:
    def __init__(self, *, handshake: Handshake = vector_hello_ok, answer_goodbye: bool = True) -> None:
        self.handshake = handshake
        self.answer_goodbye = answer_goodbye
        """Whether `Goodbye` gets its `Ok`; a test of a broker that never answers clears it."""
        self.received: list[tuple[FakeConnection, Frame]] = []
        """Every frame the client sent, in order, with its connection."""
        self.connections: list[FakeConnection] = []
        """The open connections."""
        self.connections_accepted = 0
        self.accepted_at: list[float] = []
        """Loop time of each accepted connection."""
        self.refuse_connections = False
        """Close every new connection at once, as a broker that is down would."""
        self._responders: dict[type[Any], Responder] = {}
        self._unclaimed: list[tuple[FakeConnection, Frame]] = []
        self._arrived = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._serving: set[asyncio.Task[None]] = set()

    # Lifecycle

    async def start(self) -> FakeBroker:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self.drop_connections()
        for task in list(self._serving):
            task.cancel()
        await asyncio.gather(*self._serving, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1)

    # What the client sent

    def frames(self, kind: type[Any]) -> list[Frame]:
        """The recorded frames whose message is a `kind`."""
        return [frame for _, frame in self.received if isinstance(frame.message, kind)]

    def messages(self, kind: type[T]) -> list[T]:
        return [frame.message for frame in self.frames(kind) if isinstance(frame.message, kind)]

    async def next_frame(self, kind: type[Any], timeout: float = 2.0) -> Frame:
        """The oldest frame of `kind` that neither an earlier call nor a responder has taken,
        waiting up to `timeout` for one to arrive."""
        async with asyncio.timeout(timeout):
            while True:
                for index, (_, frame) in enumerate(self._unclaimed):
                    if isinstance(frame.message, kind):
                        del self._unclaimed[index]
                        return frame
                self._arrived.clear()
                await self._arrived.wait()

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 2.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.005)

    # What the fake says

    @property
    def connection(self) -> FakeConnection:
        """The most recent connection that completed its handshake."""
        live = [connection for connection in self.connections if connection.handshaken]
        assert live, "no client is connected"
        return live[-1]

    def answer(self, kind: type[Any], responder: Responder) -> None:
        """Replies to every request of `kind` from now on with what `responder` builds."""
        self._responders[kind] = responder

    def reply(self, frame: Frame, reply: Reply) -> None:
        """Answers a recorded request on the connection it came from, with its request id."""
        for connection, received in self.received:
            if received is frame:
                connection.send(reply, frame.request_id)
                return
        raise KeyError("the frame was not received by this broker")

    def push(self, reply: Reply, request_id: int = 0) -> None:
        """Sends on the most recent connection."""
        self.connection.send(reply, request_id)

    def drop_connections(self) -> None:
        for connection in list(self.connections):
            connection.drop()

    # Serving

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections_accepted += 1
        self.accepted_at.append(asyncio.get_running_loop().time())
        if self.refuse_connections:
            writer.transport.abort()
            return
        task = asyncio.current_task()
        assert task is not None
        self._serving.add(task)
        connection = FakeConnection(writer)
        self.connections.append(connection)
        number = self.connections_accepted
        frames = FrameReader(max_frame_bytes=MAX_FRAME_BYTES)
        try:
            while data := await reader.read(READ_CHUNK_BYTES):
                frames.feed(data)
                while (frame := frames.next_frame()) is not None:
                    self._receive(connection, frame, number)
        except (ConnectionError, FrameDecodeError, asyncio.CancelledError):
            pass
        finally:
            self.connections.remove(connection)
            self._serving.discard(task)
            writer.transport.abort()

    def _receive(self, connection: FakeConnection, frame: Frame, number: int) -> None:
        self.received.append((connection, frame))
        message = frame.message
        if not connection.handshaken:
            self._handshake(connection, frame, number)
            return
        if isinstance(message, Ping):
            connection.send(Pong(), frame.request_id)
            return
        if isinstance(message, Pong):
            connection.pong_received(frame.request_id)
            return
        if isinstance(message, Goodbye) and self.answer_goodbye:
            connection.send(Ok(), frame.request_id)
            connection.writer.close()
            return
        responder = self._responders.get(type(message))
        # Request id 0 asks for no reply (an unconfirmed publish), so it only gets recorded.
        answer = responder(frame) if responder is not None and frame.request_id != 0 else None
        if answer is not None:
            connection.send(answer, frame.request_id)
            return
        self._unclaimed.append((connection, frame))
        self._arrived.set()

    def _handshake(self, connection: FakeConnection, frame: Frame, number: int) -> None:
        if not isinstance(frame.message, Hello):
            # A client must open with Hello; the test sees the frame in `received`.
            connection.drop()
            return
        connection.hello = frame.message
        answer = self.handshake(frame, number)
        if answer is None:
            return
        connection.send(answer, frame.request_id)
        sent = (
            decode_frame(answer, max_frame_bytes=MAX_FRAME_BYTES).message if isinstance(answer, bytes) else answer
        )
        if isinstance(sent, HelloOk):
            connection.handshaken = True
        elif isinstance(sent, Error):
            connection.writer.close()
