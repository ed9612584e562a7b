"""Transitional copy of the queue-model fake broker, for the client tests not yet rewritten against
the frame scripter (support/fake_broker.py) or moved to the real broker.

It implements enough of the broker for the client's engine tests: the handshake (with
optional credentials and version checks), Ping/Pong both ways, DeclareQueue, Publish and
PublishBatch with confirmation and idempotency, TopologyRequest, Subscribe with per-partition
prefetch and Deliver, Ack/Nack/ExtendLease answered by SettleOk, Unsubscribe and Goodbye.
Like the real broker it never resumes a session and refuses Reconcile as not supported.
Fault hooks let a test drop connections, hold or delay replies, fail the next request of an
op with an Error, close subscriptions, push frames and go silent.
Every frame received is recorded for assertions.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from sinew.routing import partition_for_key
from sinew.wire import (
    Ack,
    AckMode,
    BrokerInfo,
    ChannelInfo,
    ChannelKind,
    CloseReason,
    DeadLetterKind,
    DeadLetterPolicy,
    DeclareQueue,
    DeclareQueueOk,
    Deliver,
    DeliveredMessage,
    Error,
    ExtendLease,
    Frame,
    FrameDecodeError,
    FrameFlags,
    FrameReader,
    Goodbye,
    Hello,
    HelloOk,
    Limits,
    Message,
    Nack,
    Ok,
    Opcode,
    Ping,
    Pong,
    Publish,
    PublishBatch,
    PublishMessage,
    PublishOk,
    PublishResult,
    Reconcile,
    SettleFailure,
    SettleOk,
    Subscribe,
    SubscribeOk,
    SubscriptionClosed,
    Topology,
    TopologyAck,
    TopologyRequest,
    Unsubscribe,
    encode_frame,
)

ERROR_INVALID = 7
ERROR_NOT_FOUND = 8
ERROR_CONFLICT = 9
ERROR_STALE_DELIVERY = 10
ERROR_UNAUTHORIZED = 6
ERROR_PROTOCOL_MISMATCH = 2

DEFAULT_LIMITS = Limits(
    max_frame_bytes=16 * 1024 * 1024, max_batch_messages=1024, max_headers=64, max_prefetch=65_535
)


@dataclass
class StoredMessage:
    partition: int
    offset: int
    message: PublishMessage
    published_at_ms: int
    attempt: int = 0


@dataclass
class FakeQueue:
    topic: str
    group: str | None
    partitions: int
    max_retries: int = 5
    lease_ms: int = 30_000
    default_ttl_ms: int | None = None
    dead_letter: DeadLetterPolicy = field(
        default_factory=lambda: DeadLetterPolicy(kind=DeadLetterKind.DISCARD)
    )
    logs: list[list[StoredMessage]] = field(default_factory=list)
    ready: list[deque[StoredMessage]] = field(default_factory=list)
    dedup: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    turn: int = 0

    def __post_init__(self) -> None:
        self.logs = [[] for _ in range(self.partitions)]
        self.ready = [deque() for _ in range(self.partitions)]


@dataclass
class FakeSubscription:
    subscription_id: int
    queue: FakeQueue
    partitions: tuple[int, ...]
    ack_mode: AckMode
    prefetch: int
    unsettled: set[int] = field(default_factory=set)


@dataclass
class HeldDelivery:
    subscription: FakeSubscription
    stored: StoredMessage


class FakeSession:
    """One client connection."""

    def __init__(self, broker: FakeBroker, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.broker = broker
        self.reader = reader
        self.writer = writer
        self.handshaken = False
        self.muted = False
        self.said_goodbye = False
        self.hello: Hello | None = None
        self.resume_token = b""
        self.subscriptions: dict[int, FakeSubscription] = {}
        self.deliveries: dict[int, HeldDelivery] = {}
        self._subscription_ids = itertools.count(1)
        self._delivery_ids = itertools.count(1)
        self._request_ids = itertools.count(1)
        self._pongs: dict[int, asyncio.Future[None]] = {}

    def send(self, message: Message, request_id: int = 0) -> None:
        if self.muted or self.writer.is_closing():
            return
        self.writer.write(encode_frame(message, request_id=request_id))

    def error(self, request_id: int, code: int, message: str, *, retryable: bool = False,
              details: dict[str, str] | None = None) -> None:
        self.send(Error(code=code, retryable=retryable, message=message, details=details), request_id)

    def drop(self) -> None:
        """Close the socket abruptly, as a crash or network failure would."""
        self.writer.transport.abort()

    async def ping(self, timeout: float = 2.0) -> None:
        """Send a Ping and wait for the client's Pong with the same request id."""
        request_id = next(self._request_ids)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pongs[request_id] = future
        self.send(Ping(), request_id)
        await asyncio.wait_for(future, timeout)

    def on_pong(self, request_id: int) -> None:
        future = self._pongs.pop(request_id, None)
        if future is not None and not future.done():
            future.set_result(None)

    def return_unsettled(self, subscription: FakeSubscription | None = None) -> None:
        """Put held deliveries back on ready (all of them, or one subscription's)."""
        for delivery_id, held in list(self.deliveries.items()):
            if subscription is None or held.subscription is subscription:
                del self.deliveries[delivery_id]
                held.subscription.unsettled.discard(delivery_id)
                held.subscription.queue.ready[held.stored.partition].appendleft(held.stored)


class FakeBroker:
    def __init__(
        self,
        *,
        heartbeat_ms: int = 0,
        credentials: tuple[str, str] | None = None,
        versions: tuple[int, ...] = (1,),
        limits: Limits = DEFAULT_LIMITS,
        hello_ok_version: int | None = None,
    ) -> None:
        self.heartbeat_ms = heartbeat_ms
        self.credentials = credentials
        self.versions = versions
        self.limits = limits
        self.hello_ok_version = hello_ok_version
        self.queues: dict[tuple[str, str | None], FakeQueue] = {}
        self.sessions: list[FakeSession] = []
        self.received: list[tuple[FakeSession, Frame]] = []
        self.held: set[Opcode] = set()
        """Requests of these ops are recorded but never answered."""
        self.delays: dict[Opcode, float] = {}
        self.scripted_errors: dict[Opcode, deque[Error]] = {}
        self.generation = 1
        self.connections_accepted = 0
        self.accepted_at: list[float] = []
        """Loop time of each accepted connection."""
        self.refuse_connections = False
        """Close every new connection at once, as a broker that is down would."""
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._session_numbers = itertools.count(1)

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
        for session in list(self.sessions):
            session.drop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1)

    # Fault hooks and inspection

    def fail_next(self, op: Opcode, code: int, message: str = "scripted failure", *,
                  retryable: bool = False, details: dict[str, str] | None = None) -> None:
        self.scripted_errors.setdefault(op, deque()).append(
            Error(code=code, retryable=retryable, message=message, details=details)
        )

    def drop_connections(self) -> None:
        for session in list(self.sessions):
            session.drop()

    def frames(self, kind: type[Message]) -> list[Frame]:
        return [frame for _, frame in self.received if isinstance(frame.message, kind)]

    def messages(self, kind: type[Message]) -> list[Message]:
        return [frame.message for frame in self.frames(kind)]

    @property
    def session(self) -> FakeSession:
        """The most recent live session."""
        live = [session for session in self.sessions if session.handshaken]
        assert live, "no client is connected"
        return live[-1]

    def close_subscription(self, subscription_id: int, reason: CloseReason, message: str = "") -> None:
        for session in self.sessions:
            subscription = session.subscriptions.pop(subscription_id, None)
            if subscription is not None:
                session.return_unsettled(subscription)
                session.send(SubscriptionClosed(subscription_id=subscription_id, reason=reason, message=message))
                return
        raise KeyError(subscription_id)

    def push(self, message: Message, request_id: int = 0) -> None:
        for session in self.sessions:
            if session.handshaken:
                session.send(message, request_id)

    def add_queue(self, topic: str, partitions: int = 1, group: str | None = None) -> FakeQueue:
        queue = FakeQueue(topic=topic, group=group, partitions=partitions)
        self.queues[(topic, group)] = queue
        self.generation += 1
        return queue

    def store(self, topic: str, payload: bytes, *, partition: int = 0, group: str | None = None,
              headers: dict[str, str] | None = None, content_type: str | None = None) -> None:
        """Put a message straight into a queue, as if published."""
        queue = self.queues[(topic, group)]
        self._append(queue, partition, PublishMessage(payload=payload, headers=headers, content_type=content_type))
        self.pump()

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 2.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.005)

    # Serving

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections_accepted += 1
        self.accepted_at.append(asyncio.get_running_loop().time())
        if self.refuse_connections:
            writer.transport.abort()
            return
        session = FakeSession(self, reader, writer)
        self.sessions.append(session)
        frames = FrameReader(max_frame_bytes=65_536)
        try:
            while True:
                data = await reader.read(65_536)
                if not data:
                    return
                frames.feed(data)
                while (frame := frames.next_frame()) is not None:
                    self.received.append((session, frame))
                    if not session.handshaken:
                        self._handshake(session, frame)
                        if session.handshaken:
                            frames.max_frame_bytes = self.limits.max_frame_bytes
                        continue
                    self._dispatch(session, frame)
        except (ConnectionError, FrameDecodeError, asyncio.CancelledError):
            pass
        finally:
            self.sessions.remove(session)
            session.return_unsettled()
            writer.transport.abort()
            self.pump()

    def _handshake(self, session: FakeSession, frame: Frame) -> None:
        hello = frame.message
        if not isinstance(hello, Hello):
            session.error(0, 3, "the first frame must be Hello")
            session.writer.close()
            return
        session.hello = hello
        common = [v for v in self.versions if hello.min_version <= v <= hello.max_version]
        if not common:
            session.error(frame.request_id, ERROR_PROTOCOL_MISMATCH, "no common protocol version",
                          details={"supported": ",".join(str(v) for v in self.versions)})
            session.writer.close()
            return
        if self.credentials is not None:
            auth = hello.auth
            if auth is None or (auth.identity, auth.secret) != self.credentials:
                session.error(frame.request_id, ERROR_UNAUTHORIZED, "bad credentials")
                session.writer.close()
                return
        number = next(self._session_numbers)
        session.resume_token = f"token-{number}".encode()
        session.handshaken = True
        session.send(
            HelloOk(
                version=self.hello_ok_version if self.hello_ok_version is not None else max(common),
                server_id="fake-broker",
                server_version="0.0.0",
                session_id=f"session-{number}",
                resume_token=session.resume_token,
                resumed=False,
                heartbeat_ms=self.heartbeat_ms,
                limits=self.limits,
            ),
            frame.request_id,
        )

    def _dispatch(self, session: FakeSession, frame: Frame) -> None:
        op = frame.opcode
        if isinstance(frame.message, Pong):
            session.on_pong(frame.request_id)
            return
        if op in self.held:
            return
        scripted = self.scripted_errors.get(op)
        if scripted:
            error = scripted.popleft()
            session.send(error, frame.request_id)
            return
        delay = self.delays.get(op, 0)
        if delay:
            task = asyncio.get_running_loop().create_task(self._later(delay, session, frame))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        self._answer(session, frame)

    async def _later(self, delay: float, session: FakeSession, frame: Frame) -> None:
        await asyncio.sleep(delay)
        self._answer(session, frame)

    def _answer(self, session: FakeSession, frame: Frame) -> None:
        message = frame.message
        request_id = frame.request_id
        match message:
            case Ping():
                session.send(Pong(), request_id)
            case Goodbye():
                session.said_goodbye = True
                session.return_unsettled()
                session.subscriptions.clear()
                session.send(Ok(), request_id)
                session.writer.close()
            case DeclareQueue():
                self._declare(session, request_id, message)
            case Publish():
                self._publish(session, frame, message.topic, message.group, (message.message,))
            case PublishBatch():
                self._publish(session, frame, message.topic, message.group, message.messages)
            case TopologyRequest():
                session.send(self.topology(), request_id)
            case TopologyAck():
                pass
            case Subscribe():
                self._subscribe(session, request_id, message)
            case Unsubscribe():
                subscription = session.subscriptions.pop(message.subscription_id, None)
                if subscription is None:
                    session.error(request_id, ERROR_NOT_FOUND, "no such subscription")
                    return
                session.return_unsettled(subscription)
                session.send(Ok(), request_id)
                self.pump()
            case Ack():
                self._settle(session, request_id, message.delivery_ids, lambda delivery_id, held: None)
            case Nack():
                items = {item.delivery_id: item for item in message.items}

                def nack(delivery_id: int, held: HeldDelivery) -> None:
                    if items[delivery_id].requeue:
                        held.subscription.queue.ready[held.stored.partition].append(held.stored)

                self._settle(session, request_id, tuple(items), nack)
            case ExtendLease():
                ids = tuple(item.delivery_id for item in message.items)
                failures = tuple(
                    SettleFailure(delivery_id=i, code=ERROR_STALE_DELIVERY)
                    for i in ids if i not in session.deliveries
                )
                if request_id:
                    session.send(SettleOk(failures=failures), request_id)
            case Reconcile():
                session.error(request_id, ERROR_INVALID, "sessions are not resumed",
                              details={"reason": "not_supported"})
            case _:
                session.error(request_id, 3, f"{type(message).__name__} is not handled here")

    # Operations

    def topology(self) -> Topology:
        return Topology(
            generation=self.generation,
            brokers=(BrokerInfo(broker_id="fake-broker", endpoints=(self.address,)),),
            channels=tuple(
                ChannelInfo(kind=ChannelKind.QUEUE, topic=q.topic, group=q.group,
                            partitions=q.partitions, routing_version=1)
                for q in self.queues.values()
            ),
        )

    def _declare(self, session: FakeSession, request_id: int, message: DeclareQueue) -> None:
        key = (message.topic, message.group)
        existing = self.queues.get(key)
        partitions = message.partitions or 1
        if existing is not None:
            if message.partitions is not None and existing.partitions != partitions:
                session.error(request_id, ERROR_CONFLICT, "partitions differ",
                              details={"field": "partitions", "existing": str(existing.partitions),
                                       "requested": str(partitions)})
                return
            queue, created = existing, False
        else:
            queue = self.add_queue(message.topic, partitions, message.group)
            if message.max_retries is not None:
                queue.max_retries = message.max_retries
            if message.lease_ms is not None:
                queue.lease_ms = message.lease_ms
            queue.default_ttl_ms = message.default_ttl_ms
            if message.dead_letter is not None:
                queue.dead_letter = message.dead_letter
            created = True
        session.send(
            DeclareQueueOk(created=created, partitions=queue.partitions, dead_letter=queue.dead_letter,
                           max_retries=queue.max_retries, default_ttl_ms=queue.default_ttl_ms,
                           lease_ms=queue.lease_ms),
            request_id,
        )

    def _publish(self, session: FakeSession, frame: Frame, topic: str, group: str | None,
                 messages: tuple[PublishMessage, ...]) -> None:
        confirm = bool(frame.flags & FrameFlags.CONFIRM)
        queue = self.queues.get((topic, group))
        if queue is None:
            session.error(frame.request_id, ERROR_NOT_FOUND, f"queue {topic} does not exist",
                          details={"topic": topic})
            return
        for message in messages:
            if message.partition is not None and message.partition >= queue.partitions:
                session.error(frame.request_id, ERROR_INVALID, "no such partition",
                              details={"field": "partition"})
                return
            if message.partition is not None and message.partition_key is not None:
                if partition_for_key(message.partition_key, queue.partitions) != message.partition:
                    session.error(frame.request_id, ERROR_INVALID, "partition is not the key's",
                                  details={"field": "partition"})
                    return
        results = []
        for message in messages:
            identity = (message.producer_id, message.sequence)
            if message.producer_id is not None and message.sequence is not None:
                known = queue.dedup.get((message.producer_id, message.sequence))
                if known is not None:
                    results.append(PublishResult(partition=known[0], offset=known[1], duplicate=True))
                    continue
            if message.partition is not None:
                partition = message.partition
            elif message.partition_key is not None:
                partition = partition_for_key(message.partition_key, queue.partitions)
            else:
                partition = queue.turn % queue.partitions
                queue.turn += 1
            stored = self._append(queue, partition, message)
            if identity[0] is not None and identity[1] is not None:
                queue.dedup[(identity[0], identity[1])] = (partition, stored.offset)
            results.append(PublishResult(partition=partition, offset=stored.offset, duplicate=False))
        if confirm:
            session.send(PublishOk(results=tuple(results)), frame.request_id)
        self.pump()

    def _append(self, queue: FakeQueue, partition: int, message: PublishMessage) -> StoredMessage:
        log = queue.logs[partition]
        stored = StoredMessage(partition=partition, offset=len(log), message=message,
                               published_at_ms=1_700_000_000_000 + len(log))
        log.append(stored)
        queue.ready[partition].append(stored)
        return stored

    def _subscribe(self, session: FakeSession, request_id: int, message: Subscribe) -> None:
        queue = self.queues.get((message.topic, message.group))
        if queue is None:
            session.error(request_id, ERROR_NOT_FOUND, f"queue {message.topic} does not exist")
            return
        if message.partition is not None and message.partition >= queue.partitions:
            session.error(request_id, ERROR_NOT_FOUND, "no such partition")
            return
        partitions = (message.partition,) if message.partition is not None else tuple(range(queue.partitions))
        subscription = FakeSubscription(
            subscription_id=next(session._subscription_ids), queue=queue, partitions=partitions,
            ack_mode=message.ack_mode, prefetch=message.prefetch,
        )
        session.subscriptions[subscription.subscription_id] = subscription
        session.send(SubscribeOk(subscription_id=subscription.subscription_id, partitions=partitions), request_id)
        self.pump()

    def _settle(self, session: FakeSession, request_id: int, delivery_ids: tuple[int, ...],
                effect: Callable[[int, HeldDelivery], None]) -> None:
        failures = []
        for delivery_id in delivery_ids:
            held = session.deliveries.get(delivery_id)
            if held is None:
                failures.append(SettleFailure(delivery_id=delivery_id, code=ERROR_STALE_DELIVERY))
                continue
            effect(delivery_id, held)
            del session.deliveries[delivery_id]
            held.subscription.unsettled.discard(delivery_id)
        if request_id:
            session.send(SettleOk(failures=tuple(failures)), request_id)
        self.pump()

    def pump(self) -> None:
        """Deliver ready messages to subscriptions within their prefetch."""
        for session in self.sessions:
            if not session.handshaken or session.muted:
                continue
            for subscription in list(session.subscriptions.values()):
                batch: list[DeliveredMessage] = []
                for partition in subscription.partitions:
                    ready = subscription.queue.ready[partition]
                    while ready and (
                        subscription.ack_mode == AckMode.AUTO
                        and len(batch) < subscription.prefetch
                        or subscription.ack_mode == AckMode.MANUAL
                        and len(subscription.unsettled) < subscription.prefetch
                    ):
                        stored = ready.popleft()
                        stored.attempt += 1
                        delivery_id = next(session._delivery_ids)
                        if subscription.ack_mode == AckMode.MANUAL:
                            subscription.unsettled.add(delivery_id)
                            session.deliveries[delivery_id] = HeldDelivery(subscription, stored)
                        batch.append(DeliveredMessage(
                            delivery_id=delivery_id, partition=stored.partition, offset=stored.offset,
                            attempt=stored.attempt, published_at_ms=stored.published_at_ms,
                            payload=stored.message.payload, content_type=stored.message.content_type,
                            headers=stored.message.headers,
                        ))
                if batch:
                    session.send(Deliver(subscription_id=subscription.subscription_id, messages=tuple(batch)))


async def start_http_server() -> tuple[asyncio.Server, str]:
    """A server that answers like an HTTP server, to stand for 'not a Sinew broker'."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            await reader.read(1024)
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    return server, f"127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def start_silent_server() -> tuple[asyncio.Server, str]:
    """A server that accepts connections and never says anything."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            await reader.read()
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    return server, f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
