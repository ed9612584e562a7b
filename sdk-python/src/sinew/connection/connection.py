"""`Connection`: one TCP connection to a broker, from handshake to close.

It owns three tasks: the read loop (frames in, replies matched to requests by id, each
subscription's pushes handed to the `SubscriptionSink` registered for it, other pushes to the
`ConnectionListener`, `Ping` answered), the write loop (`FrameWriter`) and,
when the broker agreed to heartbeats, the heartbeat. Reading can be paused by a consumer
that cannot keep up (`pause_reading`), but only while no request waits for its reply: a reply
can only be reached by reading what the broker sent before it. While the socket is paused,
silence from the broker is not held against it. Requests time out individually; when
the connection ends, every request still waiting fails at once (`ConnectionLostError`, or
`ClientClosedError` when `close()` ended it). Nothing is replayed on another connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Final, Literal, TypeVar

from sinew.connection.endpoint import Endpoint
from sinew.connection.frame_writer import FrameWriter
from sinew.connection.handshake import (
    HELLO_REQUEST_ID,
    READ_CHUNK_BYTES,
    Handshaken,
    abort_stream,
    connect,
)
from sinew.connection.heartbeat import Heartbeat
from sinew.connection.listener import ConnectionListener
from sinew.connection.lost_connection import disconnect_reason, interrupted_error
from sinew.connection.pending_requests import PendingRequest, PendingRequests
from sinew.connection.read_pause import ReadPause
from sinew.connection.request_frames import encode_request
from sinew.connection.settings import ConnectionSettings
from sinew.connection.settler import Settler
from sinew.connection.subscription_routes import SubscriptionRoutes
from sinew.connection.subscription_sink import SubscriptionSink
from sinew.errors import (
    BrokerError,
    ClientClosedError,
    ConnectionLostError,
    OperationTimeoutError,
    ProtocolError,
    SinewError,
    broker_error,
)
from sinew.wire.codec import encode_frame
from sinew.wire.decode_error import DecodeErrorKind, FrameDecodeError
from sinew.wire.errors import error_code_info
from sinew.wire.frame import Frame
from sinew.wire.messages import (
    AssignmentChanged,
    DeclareQueueOk,
    DeclareStreamOk,
    Deliver,
    Error,
    GoingAway,
    Goodbye,
    HelloOk,
    Limits,
    Message,
    Ok,
    Ping,
    Pong,
    PublishOk,
    ReconcileOk,
    SettleOk,
    SubscribeOk,
    SubscriptionClosed,
    Topology,
    TopologyAck,
    Unsubscribe,
)

__all__ = ["Connection"]

_log = logging.getLogger("sinew.connection")

_REPLY_TYPES: Final = (
    Pong, Ok, DeclareQueueOk, DeclareStreamOk, PublishOk, SubscribeOk, SettleOk, Topology,
    ReconcileOk, Error,
)
"""Ops that answer a request; `HelloOk` is one too, but only during the handshake."""

_M = TypeVar("_M")

State = Literal["open", "closing", "closed"]


class Connection:
    """A live, handshaken connection. Create with `Connection.open`."""

    def __init__(
        self,
        endpoint: Endpoint,
        socket: Handshaken,
        settings: ConnectionSettings,
        listener: ConnectionListener[Connection],
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._endpoint = endpoint
        self._reader = socket.reader
        self._stream = socket.writer
        self._frames = socket.frames
        self._session = session = socket.session
        self._settings = settings
        self._listener = listener
        self._routes = SubscriptionRoutes()
        self._state: State = "open"
        self._end_reason: SinewError | None = None
        self._fatal_error: BrokerError | None = None
        # The handshake used id 1.
        self._pending = PendingRequests(first_id=HELLO_REQUEST_ID + 1)
        self._last_received = self._loop.time()
        self._read_pause = ReadPause(self._set_transport_reading)
        self._writer = FrameWriter(
            socket.writer, on_failure=self._on_write_failure, clock=self._loop.time
        )
        self._closed = self._loop.create_future()
        self.settler = Settler(
            self._settle_request, session.limits.max_list_items, on_stale=self._routes.delivery_gone
        )
        self._tasks: list[asyncio.Task[None]] = [
            self._loop.create_task(self._read_loop(), name=f"sinew read {endpoint}"),
            self._loop.create_task(self._writer.run(), name=f"sinew write {endpoint}"),
        ]
        if session.heartbeat_ms > 0:
            heartbeat = Heartbeat(
                session.heartbeat_ms / 1000,
                clock=self._loop.time,
                last_sent=lambda: self._writer.last_queued_at,
                last_received=lambda: self._last_received,
                is_paused=lambda: self._read_pause.is_paused,
                send_ping=self._send_ping,
                on_dead=self._on_silence,
            )
            self._tasks.append(
                self._loop.create_task(heartbeat.run(), name=f"sinew heartbeat {endpoint}")
            )

    @classmethod
    async def open(
        cls,
        endpoint: Endpoint,
        settings: ConnectionSettings,
        listener: ConnectionListener[Connection],
    ) -> Connection:
        """Connect and complete the handshake within `settings.connect_timeout`.

        Raises `SinewConnectionError` when the broker cannot be reached or is not a Sinew broker,
        and `BrokerError` when it refuses the handshake.
        """
        return cls(endpoint, await connect(endpoint, settings), settings, listener)

    # State

    @property
    def endpoint(self) -> Endpoint:
        return self._endpoint

    @property
    def session(self) -> HelloOk:
        """The broker's `HelloOk`: session id, resume token, heartbeat and limits."""
        return self._session

    @property
    def limits(self) -> Limits:
        return self._session.limits

    @property
    def is_open(self) -> bool:
        return self._state == "open"

    @property
    def end_reason(self) -> SinewError | None:
        """Why the connection ended, once it has."""
        return self._end_reason

    @property
    def pending_requests(self) -> int:
        return len(self._pending)

    @property
    def writes_issued(self) -> int:
        """Socket writes made so far; each carries one or more frames."""
        return self._writer.writes_issued

    @property
    def frames_written(self) -> int:
        return self._writer.frames_written

    async def wait_closed(self) -> None:
        await asyncio.shield(self._closed)

    # Flow control

    @property
    def is_reading_paused(self) -> bool:
        """True while the socket is not being read."""
        return self._read_pause.is_paused

    def pause_reading(self, owner: object) -> None:
        """Ask to stop reading the socket until `owner` resumes it, so a consumer that cannot
        keep up pushes back on the broker through TCP. Frames already read are still
        dispatched. The socket is read regardless while a request awaits its reply: the reply
        can only be reached by reading what the broker sent before it, and the caller waiting
        for it may be the very consumer that is behind."""
        if self._read_pause.ask(owner):
            self._update_reading()

    def resume_reading(self, owner: object) -> None:
        """Withdraw `owner`'s pause; reading resumes once no owner holds one."""
        if self._read_pause.withdraw(owner):
            self._update_reading()

    def _update_reading(self) -> None:
        """Pause the socket when some owner asks for it and no request awaits a reply;
        resume it otherwise."""
        if self._state == "closed":
            return
        if self._read_pause.update(replies_awaited=self._pending.awaited > 0):
            # Silence while paused was the client's doing; the broker's is timed from now.
            self._last_received = self._loop.time()

    def _set_transport_reading(self, reading: bool) -> None:
        transport = self._stream.transport
        if self._state == "closed" or not isinstance(transport, asyncio.ReadTransport):
            return
        if reading:
            transport.resume_reading()
        else:
            transport.pause_reading()

    # Subscription routing

    def add_sink(self, subscription_id: int, sink: SubscriptionSink) -> None:
        """Route the pushes of broker subscription `subscription_id` to `sink`. Register it
        from the `SubscribeOk`'s `on_reply`, which runs before any later frame is
        dispatched."""
        self._routes.add(subscription_id, sink)

    def remove_sink(self, subscription_id: int) -> None:
        """Stop routing to the sink of `subscription_id`; its later pushes are dropped."""
        self._routes.remove(subscription_id)

    # Sending

    def start_request(
        self,
        message: Message,
        *,
        context: str,
        expects: tuple[type, ...],
        flags: int = 0,
        on_reply: Callable[[Message], None] | None = None,
        timeout: float | None = None,
    ) -> asyncio.Future[Message]:
        """Send a request and return the future of its reply, without waiting.

        The future fails with `BrokerError` for an `Error` reply, `OperationTimeoutError`
        after `timeout` (default: the request timeout), `ConnectionLostError` or
        `ClientClosedError` when the connection ends first, and `ProtocolError` for a reply
        of the wrong type. Raises at once (`InvalidArgumentError`, or the connection's end)
        when the request cannot be sent at all.
        """
        self._check_open(context)
        return self._start_request(
            message,
            context=context,
            expects=expects,
            flags=flags,
            on_reply=on_reply,
            timeout=timeout,
        )

    async def request(
        self,
        message: Message,
        *,
        context: str,
        expects: tuple[type, ...],
        flags: int = 0,
        on_reply: Callable[[Message], None] | None = None,
    ) -> Message:
        """Send a request and wait for its reply; see `start_request` for the failures."""
        return await self.start_request(
            message, context=context, expects=expects, flags=flags, on_reply=on_reply
        )

    def send(self, message: Message, *, context: str, flags: int = 0) -> None:
        """Send a frame that wants no reply (request id 0)."""
        self._check_open(context)
        self._writer.enqueue(self._encode(message, 0, flags, context))

    async def wait_writable(self, context: str) -> None:
        """Wait while the outgoing queue is over its high-water mark."""
        await self._writer.wait_writable()
        self._check_open(context)

    def _check_open(self, context: str) -> None:
        if self._state == "open":
            return
        if self._state == "closing" or isinstance(self._end_reason, ClientClosedError):
            raise ClientClosedError(f"{context}: the connection is closed")
        raise self._lost_error(context)

    def _start_request(
        self,
        message: Message,
        *,
        context: str,
        expects: tuple[type, ...],
        flags: int,
        on_reply: Callable[[Message], None] | None,
        timeout: float | None,
        awaited: bool = True,
    ) -> asyncio.Future[Message]:
        request_id = self._pending.allocate_id()
        frame = self._encode(message, request_id, flags, context)
        future: asyncio.Future[Message] = self._loop.create_future()
        entry = PendingRequest(
            future=future, context=context, expects=expects, on_reply=on_reply, awaited=awaited
        )
        limit = self._settings.request_timeout if timeout is None else timeout
        entry.timer = self._loop.call_later(limit, self._expire, request_id, limit)
        self._pending.add(request_id, entry)
        future.add_done_callback(lambda done: self._forget_cancelled(request_id, done))
        self._writer.enqueue(frame)
        # A paused socket holds replies back: read on until this one has arrived.
        self._update_reading()
        return future

    def _encode(self, message: Message, request_id: int, flags: int, context: str) -> bytes:
        return encode_request(
            message,
            request_id=request_id,
            flags=flags,
            context=context,
            max_frame_bytes=self.limits.max_frame_bytes,
        )

    def _forget_cancelled(self, request_id: int, future: asyncio.Future[Message]) -> None:
        # A caller that stopped waiting frees the id; a late reply is then treated as unknown.
        if future.cancelled():
            entry = self._pending.pop(request_id)
            if entry is not None and entry.future is not future:
                self._pending.add(request_id, entry)
            self._update_reading()

    def _expire(self, request_id: int, limit: float) -> None:
        entry = self._pending.pop(request_id)
        self._update_reading()
        if entry is not None and not entry.future.done():
            entry.future.set_exception(
                OperationTimeoutError(
                    f"{entry.context}: no answer from {self._endpoint} within {limit:g} s "
                    "(request_timeout); it may or may not have taken effect",
                    timeout=limit,
                )
            )

    def _settle_request(self, message: Message, context: str) -> asyncio.Future[Message]:
        return self.start_request(message, context=context, expects=(SettleOk,))

    def _send_ping(self) -> None:
        if self._state != "open":
            return
        future = self._start_request(
            Ping(), context="heartbeat", expects=(Pong,), flags=0, on_reply=None,
            timeout=self._session.heartbeat_ms * 3 / 1000, awaited=False,
        )
        # Nobody waits for a Pong; silence is judged by the heartbeat itself.
        future.add_done_callback(_consume)

    # Receiving

    async def _read_loop(self) -> None:
        try:
            while True:
                while (frame := self._next_frame()) is not None:
                    self._dispatch(frame)
                    if self._state == "closed":
                        return
                if not self._read_pause.reading.is_set():
                    await self._read_pause.reading.wait()
                data = await self._reader.read(READ_CHUNK_BYTES)
                if not data:
                    self._end(self._disconnect_reason("the broker closed the connection"))
                    return
                self._last_received = self._loop.time()
                self._frames.feed(data)
        except asyncio.CancelledError:
            raise
        except ProtocolError as error:
            self._end(error)
        except OSError as error:
            self._end(self._disconnect_reason(f"reading failed: {error}"))
        except Exception as error:
            _log.exception("unexpected failure in the read loop of %s", self._endpoint)
            self._end(ProtocolError(f"the connection failed unexpectedly: {error!r}"))

    def _next_frame(self) -> Frame | None:
        while True:
            try:
                return self._frames.next_frame()
            except FrameDecodeError as error:
                if error.kind == DecodeErrorKind.UNKNOWN_OPCODE:
                    # A newer broker's op: the reader skipped its body and reading goes on.
                    _log.debug("skipped a frame with an unknown opcode from %s", self._endpoint)
                    continue
                raise ProtocolError(
                    f"{self._endpoint} sent a frame that cannot be decoded ({error}); "
                    "the connection was closed"
                ) from error

    def _dispatch(self, frame: Frame) -> None:
        message = frame.message
        request_id = frame.request_id
        match message:
            case Deliver():
                self._routes.deliver(message)
            case Ping():
                if self._state == "open":
                    self._writer.enqueue(encode_frame(Pong(), request_id=request_id))
            case Topology() if request_id == 0:
                self._on_topology_push(message)
            case Error() if request_id == 0:
                self._on_unsolicited_error(message)
            case SubscriptionClosed():
                self._routes.closed_by_broker(message)
            case GoingAway():
                self._notify(self._listener.on_going_away, message)
            case AssignmentChanged():
                _log.debug("ignored AssignmentChanged: this client joins no consumer group")
            case _ if isinstance(message, _REPLY_TYPES):
                self._on_reply(request_id, message)
            case HelloOk():
                raise ProtocolError(f"{self._endpoint} sent a second HelloOk")
            case _:
                raise ProtocolError(
                    f"{self._endpoint} sent {type(message).__name__}, which only clients send"
                )

    def _on_reply(self, request_id: int, message: Message) -> None:
        entry = self._pending.pop(request_id)
        self._update_reading()
        if entry is None or entry.future.done():
            self._on_unmatched_reply(message)
            return
        entry.complete(message, endpoint=str(self._endpoint))

    def _on_unmatched_reply(self, message: Message) -> None:
        # A reply after its request timed out or its caller stopped waiting. A subscription
        # nobody holds would keep up to `prefetch` messages leased: it is ended, none seen.
        if isinstance(message, SubscribeOk) and self._state == "open":
            unsubscribe = Unsubscribe(subscription_id=message.subscription_id, handed_out=())
            self._writer.enqueue(encode_frame(unsubscribe))
        _log.debug("dropped a late %s from %s", type(message).__name__, self._endpoint)

    def _on_topology_push(self, message: Topology) -> None:
        try:
            applied = self._listener.on_topology(self, message)
        except Exception:
            _log.exception("the topology listener failed")
            return
        if applied and self._state == "open":
            self._writer.enqueue(encode_frame(TopologyAck(generation=message.generation)))

    def _on_unsolicited_error(self, message: Error) -> None:
        info = error_code_info(message.code)
        fatal = info is not None and info.closes_connection
        error = broker_error(
            message.code,
            retryable=message.retryable,
            broker_message=message.message,
            details=message.details,
            context=f"the connection to {self._endpoint}"
            if fatal
            else f"a request to {self._endpoint} that wanted no reply",
        )
        if fatal:
            # The broker closes the connection next; the in-flight failures will name this.
            self._fatal_error = error
        self._notify(self._listener.on_unsolicited_error, error)

    def _notify(self, callback: Callable[[Connection, _M], object], message: _M) -> None:
        try:
            callback(self, message)
        except Exception:
            _log.exception("a connection listener failed on %s", type(message).__name__)

    # Ending

    def _disconnect_reason(self, what: str) -> ConnectionLostError:
        return disconnect_reason(
            what, endpoint=str(self._endpoint), fatal_error=self._fatal_error
        )

    def _on_write_failure(self, error: BaseException) -> None:
        self._end(self._disconnect_reason(f"writing failed: {error}"))

    def _on_silence(self, silence: float) -> None:
        self._end(
            self._disconnect_reason(
                f"no frame from the broker for {silence:.1f} s, three heartbeat intervals"
            )
        )

    def _lost_error(self, context: str) -> ConnectionLostError:
        return interrupted_error(
            context, endpoint=str(self._endpoint), end_reason=self._end_reason
        )

    def _end(self, reason: SinewError) -> None:
        """End the connection: fail every waiting request, stop the tasks, tell the owner."""
        if self._state == "closed":
            return
        was_closing = self._state == "closing"
        self._state = "closed"
        self._end_reason = reason
        closing = was_closing or isinstance(reason, ClientClosedError)
        for entry in self._pending.drain():
            if entry.future.done():
                continue
            if closing:
                entry.future.set_exception(
                    ClientClosedError(f"{entry.context}: the connection was closed first")
                )
            else:
                entry.future.set_exception(self._lost_error(entry.context))
        self._read_pause.release()
        self._writer.close()
        abort_stream(self._stream)
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        if not self._closed.done():
            self._closed.set_result(None)
        lost = (
            reason
            if closing or isinstance(reason, ConnectionLostError)
            else self._lost_error("the connection")
        )
        # Subscriptions end before the owner hears of the loss.
        self._routes.end_all(lost, by_client=closing)
        if not closing:
            assert isinstance(lost, ConnectionLostError)
            _log.warning("connection to %s lost: %s", self._endpoint, reason.message)
            self._notify(self._listener.on_connection_lost, lost)

    async def close(self, *, goodbye_timeout: float, handed_out: Sequence[int] = ()) -> None:
        """Say `Goodbye` (after every settlement issued, listing `handed_out`, which the caller
        keeps within the broker's list limit), wait up to `goodbye_timeout` for `Ok`, then
        close the socket.

        Requests still waiting fail with `ClientClosedError`. Safe to call more than once.
        """
        if self._state == "open":
            self.settler.flush()
            self._state = "closing"
            try:
                goodbye = self._start_request(
                    Goodbye(handed_out=tuple(handed_out)),
                    context="close",
                    expects=(Ok,),
                    flags=0,
                    on_reply=None,
                    timeout=max(goodbye_timeout, 0.001),
                )
            except SinewError:
                goodbye = None
            try:
                if goodbye is not None:
                    # The broker answers and closes; an error or timeout changes nothing here.
                    with contextlib.suppress(SinewError):
                        await asyncio.shield(goodbye)
            finally:
                self._end(ClientClosedError("the connection was closed"))
        else:
            self._end(ClientClosedError("the connection was closed"))
        await self._finish()

    async def _finish(self) -> None:
        current = asyncio.current_task()
        others = [task for task in self._tasks if task is not current]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._stream.wait_closed()


def _consume(future: asyncio.Future[Message]) -> None:
    if not future.cancelled():
        future.exception()

