"""Typed messages: one class per op (the frame body) and one per record (a nested value).

Fields are in wire order and carry the specification's names. Integers of every width are
`int`, `bin` is `bytes`, string maps are `dict[str, str]`, lists are tuples, enums are the
`IntEnum` classes of `sinew.wire.enums`, and an absent optional field is `None`. Every class
is frozen and keyword-only, so optional fields can be left out wherever they sit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from sinew.wire.enums import (
    AckMode,
    AuthMechanism,
    ChannelKind,
    CloseReason,
    DeadLetterKind,
    ReconcileOutcome,
    ReconcilePolicy,
    StreamDurability,
    StreamStartKind,
)

__all__ = [
    "Ack",
    "AssignmentChanged",
    "Auth",
    "BrokerInfo",
    "ChannelInfo",
    "ConsumerGroup",
    "DeadLetterPolicy",
    "DeclareQueue",
    "DeclareQueueOk",
    "DeclareStream",
    "DeclareStreamOk",
    "Deliver",
    "DeliveredMessage",
    "Error",
    "ExtendLease",
    "GoingAway",
    "Goodbye",
    "Hello",
    "HelloOk",
    "LeaseExtension",
    "Limits",
    "Message",
    "Nack",
    "NackItem",
    "Ok",
    "Ping",
    "Pong",
    "Publish",
    "PublishBatch",
    "PublishMessage",
    "PublishOk",
    "PublishResult",
    "Reconcile",
    "ReconcileEntry",
    "ReconcileOk",
    "ReconcileResult",
    "Record",
    "Retention",
    "SettleFailure",
    "SettleOk",
    "StreamStart",
    "Subscribe",
    "SubscribeOk",
    "SubscribeStream",
    "SubscriptionClosed",
    "Topology",
    "TopologyAck",
    "TopologyRequest",
    "Unsubscribe",
]


# Records


@dataclass(frozen=True, slots=True, kw_only=True)
class Auth:
    mechanism: AuthMechanism
    identity: str
    secret: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    max_frame_bytes: int
    max_batch_messages: int
    max_headers: int
    max_prefetch: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadLetterPolicy:
    kind: DeadLetterKind
    topic: str | None = None
    group: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Retention:
    max_age_ms: int | None = None
    max_bytes: int | None = None
    max_records: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamStart:
    kind: StreamStartKind
    value: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerGroup:
    member_id: str | None = None
    consumer_target: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishMessage:
    payload: bytes
    content_type: str | None = None
    headers: dict[str, str] | None = None
    partition_key: bytes | None = None
    partition: int | None = None
    not_before_ms: int | None = None
    delay_ms: int | None = None
    ttl_ms: int | None = None
    producer_id: str | None = None
    sequence: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishResult:
    partition: int
    offset: int
    duplicate: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveredMessage:
    delivery_id: int
    partition: int
    offset: int
    attempt: int
    published_at_ms: int
    payload: bytes
    content_type: str | None = None
    headers: dict[str, str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NackItem:
    delivery_id: int
    requeue: bool
    not_before_ms: int | None = None
    delay_ms: int | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseExtension:
    delivery_id: int
    extend_ms: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SettleFailure:
    delivery_id: int
    code: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerInfo:
    broker_id: str
    endpoints: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelInfo:
    kind: ChannelKind
    topic: str
    group: str | None = None
    partitions: int
    routing_version: int
    owners: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconcileEntry:
    subscription_id: int
    kind: ChannelKind
    topic: str
    group: str | None = None
    partition: int | None = None
    ack_mode: AckMode
    prefetch: int
    cursor: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconcileResult:
    subscription_id: int
    outcome: ReconcileOutcome
    new_subscription_id: int | None = None


Record: TypeAlias = (
    Auth
    | Limits
    | DeadLetterPolicy
    | Retention
    | StreamStart
    | ConsumerGroup
    | PublishMessage
    | PublishResult
    | DeliveredMessage
    | NackItem
    | LeaseExtension
    | SettleFailure
    | BrokerInfo
    | ChannelInfo
    | ReconcileEntry
    | ReconcileResult
)


# Ops


@dataclass(frozen=True, slots=True, kw_only=True)
class Hello:
    min_version: int
    max_version: int
    client_name: str
    client_version: str
    auth: Auth | None = None
    resume_token: bytes | None = None
    heartbeat_ms: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HelloOk:
    version: int
    server_id: str
    server_version: str
    session_id: str
    resume_token: bytes
    resumed: bool
    heartbeat_ms: int
    limits: Limits


@dataclass(frozen=True, slots=True, kw_only=True)
class Ping:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Pong:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Goodbye:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class GoingAway:
    deadline_at_ms: int
    message: str
    reconnect_to: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Ok:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Error:
    code: int
    retryable: bool
    message: str
    details: dict[str, str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclareQueue:
    topic: str
    group: str | None = None
    partitions: int | None = None
    dead_letter: DeadLetterPolicy | None = None
    max_retries: int | None = None
    default_ttl_ms: int | None = None
    lease_ms: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclareQueueOk:
    created: bool
    partitions: int
    dead_letter: DeadLetterPolicy
    max_retries: int
    default_ttl_ms: int | None = None
    lease_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclareStream:
    topic: str
    group: str | None = None
    partitions: int | None = None
    durability: StreamDurability | None = None
    retention: Retention | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclareStreamOk:
    created: bool
    partitions: int
    durability: StreamDurability
    retention: Retention


@dataclass(frozen=True, slots=True, kw_only=True)
class Publish:
    topic: str
    group: str | None = None
    message: PublishMessage
    routing_version: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishBatch:
    topic: str
    group: str | None = None
    messages: tuple[PublishMessage, ...]
    routing_version: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishOk:
    results: tuple[PublishResult, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscribe:
    topic: str
    group: str | None = None
    partition: int | None = None
    ack_mode: AckMode
    prefetch: int
    consumer_group: ConsumerGroup | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscribeStream:
    topic: str
    group: str | None = None
    partition: int | None = None
    ack_mode: AckMode
    prefetch: int
    cursor: str | None = None
    start: StreamStart | None = None
    filters: dict[str, str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscribeOk:
    subscription_id: int
    partitions: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Unsubscribe:
    subscription_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Deliver:
    subscription_id: int
    messages: tuple[DeliveredMessage, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscriptionClosed:
    subscription_id: int
    reason: CloseReason
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AssignmentChanged:
    subscription_id: int
    generation: int
    partitions: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Ack:
    delivery_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Nack:
    items: tuple[NackItem, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtendLease:
    items: tuple[LeaseExtension, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SettleOk:
    failures: tuple[SettleFailure, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class TopologyRequest:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Topology:
    generation: int
    brokers: tuple[BrokerInfo, ...]
    channels: tuple[ChannelInfo, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class TopologyAck:
    generation: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Reconcile:
    policy: ReconcilePolicy
    subscriptions: tuple[ReconcileEntry, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconcileOk:
    results: tuple[ReconcileResult, ...]


Message: TypeAlias = (
    Hello
    | HelloOk
    | Ping
    | Pong
    | Goodbye
    | GoingAway
    | Ok
    | Error
    | DeclareQueue
    | DeclareQueueOk
    | DeclareStream
    | DeclareStreamOk
    | Publish
    | PublishBatch
    | PublishOk
    | Subscribe
    | SubscribeStream
    | SubscribeOk
    | Unsubscribe
    | Deliver
    | SubscriptionClosed
    | AssignmentChanged
    | Ack
    | Nack
    | ExtendLease
    | SettleOk
    | TopologyRequest
    | Topology
    | TopologyAck
    | Reconcile
    | ReconcileOk
)
"""Any op's body."""
