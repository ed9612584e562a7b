"""The frames a test scripts the fake broker to send: the handshake answer taken byte for byte
from the wire vectors, and builders for the common replies (Ok, Error, DeclareQueueOk,
PublishOk, SubscribeOk, Deliver, SettleOk, Topology) from the fields a test gives.

The default `HelloOk` is the vector `hello-ok/new-session` of wire-vectors/frames/connection.json,
sent as its bytes rather than re-encoded, so the handshake does not rest on this client's own
encoder. Replies with fields a test chooses are encoded by the package's codec, whose output the
wire-vector tests pin.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from support.real_broker import REPOSITORY_ROOT

from sinew.wire import (
    BrokerInfo,
    ChannelInfo,
    ChannelKind,
    DeadLetterKind,
    DeadLetterPolicy,
    DeclareQueue,
    DeclareQueueOk,
    Deliver,
    DeliveredMessage,
    Error,
    Frame,
    HelloOk,
    Limits,
    Message,
    Ok,
    Publish,
    PublishBatch,
    PublishMessage,
    PublishOk,
    PublishResult,
    SettleFailure,
    SettleOk,
    Subscribe,
    SubscribeOk,
    Topology,
)

CONNECTION_VECTORS = REPOSITORY_ROOT / "wire-vectors" / "frames" / "connection.json"
HELLO_OK_VECTOR_ID = "hello-ok/new-session"
REQUEST_ID_OFFSET = 8
"""Where the request id sits in the 16-byte frame header (4 bytes, big-endian)."""

ERROR_PROTOCOL_MISMATCH = 2
ERROR_UNAUTHORIZED = 6
ERROR_INVALID = 7
ERROR_NOT_FOUND = 8
ERROR_CONFLICT = 9
ERROR_STALE_DELIVERY = 10
ERROR_REDIRECT = 11
ERROR_RESOURCE_EXHAUSTED = 12
ERROR_UNAVAILABLE = 13

PUBLISHED_AT_MS = 1_700_000_000_000
"""The publication time scripted deliveries carry unless told otherwise."""

Reply = Message | bytes
"""What the fake sends: a message it encodes, or a whole frame as raw bytes."""


@dataclass(frozen=True)
class VectorFrame:
    hex: str
    fields: dict[str, Any]

    @property
    def raw(self) -> bytes:
        return bytes.fromhex(self.hex)


@cache
def connection_vector(vector_id: str) -> VectorFrame:
    """One vector of wire-vectors/frames/connection.json, by its id."""
    document = json.loads(CONNECTION_VECTORS.read_text(encoding="utf-8"))
    for vector in document["vectors"]:
        if vector["id"] == vector_id:
            return VectorFrame(hex=vector["hex"], fields=vector["fields"])
    raise KeyError(f"{CONNECTION_VECTORS} has no vector {vector_id!r}")


def hello_ok_vector() -> VectorFrame:
    return connection_vector(HELLO_OK_VECTOR_ID)


def with_request_id(raw: bytes, request_id: int) -> bytes:
    """A copy of the frame `raw` with its header's request id replaced."""
    frame = bytearray(raw)
    struct.pack_into(">I", frame, REQUEST_ID_OFFSET, request_id)
    return bytes(frame)


def vector_hello_ok(hello: Frame, connection_number: int) -> Reply:
    """The default handshake answer: the `hello-ok/new-session` vector's bytes, answering the
    request id of the client's `Hello`."""
    return with_request_id(hello_ok_vector().raw, hello.request_id)


def hello_ok(**fields: Any) -> HelloOk:
    """A `HelloOk` with the vector's fields except those given (heartbeat_ms, limits, ...)."""
    vector = hello_ok_vector().fields
    base = HelloOk(
        version=int(vector["version"]),
        server_id=str(vector["server_id"]),
        server_version=str(vector["server_version"]),
        session_id=str(vector["session_id"]),
        resume_token=bytes.fromhex(vector["resume_token"]),
        resumed=bool(vector["resumed"]),
        heartbeat_ms=int(vector["heartbeat_ms"]),
        limits=Limits(**vector["limits"]),
    )
    return replace(base, **fields)


Handshake = Callable[[Frame, int], Reply | None]
"""Answers a client's `Hello` frame on the n-th connection (counting from 1); an `Error`
answer ends the connection, None leaves the client waiting."""


def answer_hello_with(message: HelloOk | Error) -> Handshake:
    """A handshake that always gives `message`."""
    return lambda hello, number: message


def limits(**fields: int) -> Limits:
    """The vector's limits, except those given."""
    return replace(hello_ok().limits, **fields)


def ok() -> Ok:
    return Ok()


def error(code: int, message: str = "scripted failure", *, retryable: bool = False,
          details: dict[str, str] | None = None) -> Error:
    return Error(code=code, retryable=retryable, message=message, details=details)


def declare_queue_ok(*, created: bool = True, partitions: int = 1, max_retries: int = 5,
                     lease_ms: int = 30_000, default_ttl_ms: int | None = None) -> DeclareQueueOk:
    return DeclareQueueOk(
        created=created,
        partitions=partitions,
        dead_letter=DeadLetterPolicy(kind=DeadLetterKind.DISCARD),
        max_retries=max_retries,
        default_ttl_ms=default_ttl_ms,
        lease_ms=lease_ms,
    )


def declare_queue_ok_for(frame: Frame) -> DeclareQueueOk:
    """Accepts a `DeclareQueue` as a new queue with the partitions it asked for."""
    message = frame.message
    assert isinstance(message, DeclareQueue)
    return declare_queue_ok(partitions=message.partitions or 1)


def publish_ok(*results: tuple[int, int] | tuple[int, int, bool]) -> PublishOk:
    """`PublishOk` with one `(partition, offset[, duplicate])` per message."""
    return PublishOk(results=tuple(
        PublishResult(partition=result[0], offset=result[1], duplicate=len(result) > 2 and bool(result[-1]))
        for result in results
    ))


def published_partitions(frame: Frame) -> list[int]:
    """The partition the client chose for each message of a `Publish` or `PublishBatch`
    (0 for a message it left to the broker)."""
    message = frame.message
    records: tuple[PublishMessage, ...]
    if isinstance(message, Publish):
        records = (message.message,)
    elif isinstance(message, PublishBatch):
        records = message.messages
    else:
        raise TypeError(f"{type(message).__name__} is not a publish")
    return [record.partition or 0 for record in records]


def publish_ok_at(frame: Frame, *offsets: int) -> PublishOk:
    """Confirms each message of a publish frame in the partition the client chose, at the
    offsets given (all 0 when none are)."""
    partitions = published_partitions(frame)
    chosen = offsets or (0,) * len(partitions)
    return publish_ok(*zip(partitions, chosen, strict=True))


def subscribe_ok(frame: Frame, partitions: tuple[int, ...] | None = None) -> SubscribeOk:
    """Accepts a `Subscribe`; the subscription id is the request's own id, so a test finds it
    from the recorded frame without the fake keeping a table."""
    message = frame.message
    assert isinstance(message, Subscribe)
    if partitions is None:
        partitions = (message.partition or 0,)
    return SubscribeOk(subscription_id=frame.request_id, partitions=partitions)


def delivered(delivery_id: int, payload: bytes = b"", *, partition: int = 0, offset: int = 0,
              attempt: int = 1, published_at_ms: int = PUBLISHED_AT_MS,
              content_type: str | None = None,
              headers: dict[str, str] | None = None,
              failures: int | None = None, max_retries: int | None = None) -> DeliveredMessage:
    """A delivered message; `failures` and `max_retries` are left out unless given, as an
    older broker leaves them out."""
    return DeliveredMessage(
        delivery_id=delivery_id, partition=partition, offset=offset, attempt=attempt,
        published_at_ms=published_at_ms, payload=payload, content_type=content_type,
        headers=headers, failures=failures, max_retries=max_retries,
    )


def deliver(subscription_id: int, *messages: DeliveredMessage) -> Deliver:
    return Deliver(subscription_id=subscription_id, messages=messages)


def settle_ok(*stale: int) -> SettleOk:
    """`SettleOk` reporting the delivery ids given as stale, the rest settled."""
    return SettleOk(failures=tuple(
        SettleFailure(delivery_id=delivery_id, code=ERROR_STALE_DELIVERY) for delivery_id in stale
    ))


def topology(*queues: tuple[str, int] | tuple[str, int, str], generation: int = 1,
             routing_version: int = 1, endpoint: str = "127.0.0.1:7420") -> Topology:
    """A catalogue of queues given as `(topic, partitions[, group])`."""
    return Topology(
        generation=generation,
        brokers=(BrokerInfo(broker_id="broker-7f3a", endpoints=(endpoint,)),),
        channels=tuple(
            ChannelInfo(kind=ChannelKind.QUEUE, topic=queue[0], partitions=queue[1],
                        group=queue[2] if len(queue) > 2 else None,  # type: ignore[misc]
                        routing_version=routing_version)
            for queue in queues
        ),
    )
