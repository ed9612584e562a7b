"""The schema tables: for every op and record, its fields in wire order with their types.

The encoder and decoder are driven by these tables, so the layout of a body is written down
once. The descriptor types they are built from live in `sinew.wire.descriptors`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from types import MappingProxyType
from typing import Any

from sinew.wire import messages as m
from sinew.wire.descriptors import (
    BIN,
    BOOL,
    STR,
    STRMAP,
    U8,
    U16,
    U32,
    U64,
    EnumType,
    FieldSpec,
    FieldType,
    ListType,
    OpSchema,
    RecordSchema,
    RecordType,
    Sender,
)
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
from sinew.wire.opcodes import Opcode

__all__ = ["OP_SCHEMAS", "RECORD_SCHEMAS", "op_schema_for"]


def _required(name: str, field_type: FieldType) -> FieldSpec:
    return FieldSpec(name, field_type)


def _optional(name: str, field_type: FieldType) -> FieldSpec:
    return FieldSpec(name, field_type, optional=True)


def _enum(enum: type[IntEnum]) -> EnumType:
    return EnumType(enum)


def _list(element: FieldType) -> ListType:
    return ListType(element)


def _record(python_type: type[Any], *fields: FieldSpec) -> RecordType:
    return RecordType(RecordSchema(python_type.__name__, python_type, fields))


_AUTH = _record(
    m.Auth,
    _required("mechanism", _enum(AuthMechanism)),
    _required("identity", STR),
    _required("secret", STR),
)
_LIMITS = _record(
    m.Limits,
    _required("max_frame_bytes", U32),
    _required("max_batch_messages", U32),
    _required("max_headers", U32),
    _required("max_prefetch", U32),
)
_DEAD_LETTER_POLICY = _record(
    m.DeadLetterPolicy,
    _required("kind", _enum(DeadLetterKind)),
    _optional("topic", STR),
    _optional("group", STR),
)
_RETENTION = _record(
    m.Retention,
    _optional("max_age_ms", U64),
    _optional("max_bytes", U64),
    _optional("max_records", U64),
)
_STREAM_START = _record(
    m.StreamStart,
    _required("kind", _enum(StreamStartKind)),
    _optional("value", U64),
)
_CONSUMER_GROUP = _record(
    m.ConsumerGroup,
    _optional("member_id", STR),
    _optional("consumer_target", U32),
)
_PUBLISH_MESSAGE = _record(
    m.PublishMessage,
    _required("payload", BIN),
    _optional("content_type", STR),
    _optional("headers", STRMAP),
    _optional("partition_key", BIN),
    _optional("partition", U32),
    _optional("not_before_ms", U64),
    _optional("delay_ms", U64),
    _optional("ttl_ms", U64),
    _optional("producer_id", STR),
    _optional("sequence", U64),
)
_PUBLISH_RESULT = _record(
    m.PublishResult,
    _required("partition", U32),
    _required("offset", U64),
    _required("duplicate", BOOL),
)
_DELIVERED_MESSAGE = _record(
    m.DeliveredMessage,
    _required("delivery_id", U64),
    _required("partition", U32),
    _required("offset", U64),
    _required("attempt", U32),
    _required("published_at_ms", U64),
    _required("payload", BIN),
    _optional("content_type", STR),
    _optional("headers", STRMAP),
)
_NACK_ITEM = _record(
    m.NackItem,
    _required("delivery_id", U64),
    _required("requeue", BOOL),
    _optional("not_before_ms", U64),
    _optional("delay_ms", U64),
    _optional("reason", STR),
)
_LEASE_EXTENSION = _record(
    m.LeaseExtension,
    _required("delivery_id", U64),
    _optional("extend_ms", U64),
)
_SETTLE_FAILURE = _record(
    m.SettleFailure,
    _required("delivery_id", U64),
    _required("code", U16),
)
_BROKER_INFO = _record(
    m.BrokerInfo,
    _required("broker_id", STR),
    _required("endpoints", _list(STR)),
)
_CHANNEL_INFO = _record(
    m.ChannelInfo,
    _required("kind", _enum(ChannelKind)),
    _required("topic", STR),
    _optional("group", STR),
    _required("partitions", U32),
    _required("routing_version", U64),
    _optional("owners", _list(U32)),
)
_RECONCILE_ENTRY = _record(
    m.ReconcileEntry,
    _required("subscription_id", U64),
    _required("kind", _enum(ChannelKind)),
    _required("topic", STR),
    _optional("group", STR),
    _optional("partition", U32),
    _required("ack_mode", _enum(AckMode)),
    _required("prefetch", U32),
    _optional("cursor", STR),
)
_RECONCILE_RESULT = _record(
    m.ReconcileResult,
    _required("subscription_id", U64),
    _required("outcome", _enum(ReconcileOutcome)),
    _optional("new_subscription_id", U64),
)

RECORD_SCHEMAS: Mapping[str, RecordSchema] = MappingProxyType(
    {
        record.schema.name: record.schema
        for record in (
            _AUTH,
            _LIMITS,
            _DEAD_LETTER_POLICY,
            _RETENTION,
            _STREAM_START,
            _CONSUMER_GROUP,
            _PUBLISH_MESSAGE,
            _PUBLISH_RESULT,
            _DELIVERED_MESSAGE,
            _NACK_ITEM,
            _LEASE_EXTENSION,
            _SETTLE_FAILURE,
            _BROKER_INFO,
            _CHANNEL_INFO,
            _RECONCILE_ENTRY,
            _RECONCILE_RESULT,
        )
    }
)
"""Every record, by name, in registry order."""

_CLIENT = Sender.CLIENT
_SERVER = Sender.SERVER
_EITHER = Sender.EITHER


def _op(
    python_type: type[Any],
    opcode: Opcode,
    sent_by: Sender,
    replies: tuple[Opcode, ...],
    *fields: FieldSpec,
) -> OpSchema:
    return OpSchema(python_type.__name__, python_type, fields, opcode, sent_by, replies)


_OPS = (
    _op(
        m.Hello,
        Opcode.HELLO,
        _CLIENT,
        (Opcode.HELLO_OK, Opcode.ERROR),
        _required("min_version", U8),
        _required("max_version", U8),
        _required("client_name", STR),
        _required("client_version", STR),
        _optional("auth", _AUTH),
        _optional("resume_token", BIN),
        _optional("heartbeat_ms", U64),
    ),
    _op(
        m.HelloOk,
        Opcode.HELLO_OK,
        _SERVER,
        (),
        _required("version", U8),
        _required("server_id", STR),
        _required("server_version", STR),
        _required("session_id", STR),
        _required("resume_token", BIN),
        _required("resumed", BOOL),
        _required("heartbeat_ms", U64),
        _required("limits", _LIMITS),
    ),
    _op(m.Ping, Opcode.PING, _EITHER, (Opcode.PONG,)),
    _op(m.Pong, Opcode.PONG, _EITHER, ()),
    _op(m.Goodbye, Opcode.GOODBYE, _CLIENT, (Opcode.OK,)),
    _op(
        m.GoingAway,
        Opcode.GOING_AWAY,
        _SERVER,
        (),
        _required("deadline_at_ms", U64),
        _required("message", STR),
        _optional("reconnect_to", STR),
    ),
    _op(m.Ok, Opcode.OK, _SERVER, ()),
    _op(
        m.Error,
        Opcode.ERROR,
        _SERVER,
        (),
        _required("code", U16),
        _required("retryable", BOOL),
        _required("message", STR),
        _optional("details", STRMAP),
    ),
    _op(
        m.DeclareQueue,
        Opcode.DECLARE_QUEUE,
        _CLIENT,
        (Opcode.DECLARE_QUEUE_OK, Opcode.ERROR),
        _required("topic", STR),
        _optional("group", STR),
        _optional("partitions", U32),
        _optional("dead_letter", _DEAD_LETTER_POLICY),
        _optional("max_retries", U32),
        _optional("default_ttl_ms", U64),
        _optional("lease_ms", U64),
    ),
    _op(
        m.DeclareQueueOk,
        Opcode.DECLARE_QUEUE_OK,
        _SERVER,
        (),
        _required("created", BOOL),
        _required("partitions", U32),
        _required("dead_letter", _DEAD_LETTER_POLICY),
        _required("max_retries", U32),
        _optional("default_ttl_ms", U64),
        _required("lease_ms", U64),
    ),
    _op(
        m.DeclareStream,
        Opcode.DECLARE_STREAM,
        _CLIENT,
        (Opcode.DECLARE_STREAM_OK, Opcode.ERROR),
        _required("topic", STR),
        _optional("group", STR),
        _optional("partitions", U32),
        _optional("durability", _enum(StreamDurability)),
        _optional("retention", _RETENTION),
    ),
    _op(
        m.DeclareStreamOk,
        Opcode.DECLARE_STREAM_OK,
        _SERVER,
        (),
        _required("created", BOOL),
        _required("partitions", U32),
        _required("durability", _enum(StreamDurability)),
        _required("retention", _RETENTION),
    ),
    _op(
        m.Publish,
        Opcode.PUBLISH,
        _CLIENT,
        (Opcode.PUBLISH_OK, Opcode.ERROR),
        _required("topic", STR),
        _optional("group", STR),
        _required("message", _PUBLISH_MESSAGE),
        _optional("routing_version", U64),
    ),
    _op(
        m.PublishBatch,
        Opcode.PUBLISH_BATCH,
        _CLIENT,
        (Opcode.PUBLISH_OK, Opcode.ERROR),
        _required("topic", STR),
        _optional("group", STR),
        _required("messages", _list(_PUBLISH_MESSAGE)),
        _optional("routing_version", U64),
    ),
    _op(
        m.PublishOk,
        Opcode.PUBLISH_OK,
        _SERVER,
        (),
        _required("results", _list(_PUBLISH_RESULT)),
    ),
    _op(
        m.Subscribe,
        Opcode.SUBSCRIBE,
        _CLIENT,
        (Opcode.SUBSCRIBE_OK, Opcode.ERROR),
        _required("topic", STR),
        _optional("group", STR),
        _optional("partition", U32),
        _required("ack_mode", _enum(AckMode)),
        _required("prefetch", U32),
        _optional("consumer_group", _CONSUMER_GROUP),
    ),
    _op(
        m.SubscribeStream,
        Opcode.SUBSCRIBE_STREAM,
        _CLIENT,
        (Opcode.SUBSCRIBE_OK, Opcode.ERROR),
        _required("topic", STR),
        _optional("group", STR),
        _optional("partition", U32),
        _required("ack_mode", _enum(AckMode)),
        _required("prefetch", U32),
        _optional("cursor", STR),
        _optional("start", _STREAM_START),
        _optional("filters", STRMAP),
    ),
    _op(
        m.SubscribeOk,
        Opcode.SUBSCRIBE_OK,
        _SERVER,
        (),
        _required("subscription_id", U64),
        _required("partitions", _list(U32)),
    ),
    _op(
        m.Unsubscribe,
        Opcode.UNSUBSCRIBE,
        _CLIENT,
        (Opcode.OK, Opcode.ERROR),
        _required("subscription_id", U64),
    ),
    _op(
        m.Deliver,
        Opcode.DELIVER,
        _SERVER,
        (),
        _required("subscription_id", U64),
        _required("messages", _list(_DELIVERED_MESSAGE)),
    ),
    _op(
        m.SubscriptionClosed,
        Opcode.SUBSCRIPTION_CLOSED,
        _SERVER,
        (),
        _required("subscription_id", U64),
        _required("reason", _enum(CloseReason)),
        _required("message", STR),
    ),
    _op(
        m.AssignmentChanged,
        Opcode.ASSIGNMENT_CHANGED,
        _SERVER,
        (),
        _required("subscription_id", U64),
        _required("generation", U64),
        _required("partitions", _list(U32)),
    ),
    _op(
        m.Ack,
        Opcode.ACK,
        _CLIENT,
        (Opcode.SETTLE_OK, Opcode.ERROR),
        _required("delivery_ids", _list(U64)),
    ),
    _op(
        m.Nack,
        Opcode.NACK,
        _CLIENT,
        (Opcode.SETTLE_OK, Opcode.ERROR),
        _required("items", _list(_NACK_ITEM)),
    ),
    _op(
        m.ExtendLease,
        Opcode.EXTEND_LEASE,
        _CLIENT,
        (Opcode.SETTLE_OK, Opcode.ERROR),
        _required("items", _list(_LEASE_EXTENSION)),
    ),
    _op(
        m.SettleOk,
        Opcode.SETTLE_OK,
        _SERVER,
        (),
        _required("failures", _list(_SETTLE_FAILURE)),
    ),
    _op(m.TopologyRequest, Opcode.TOPOLOGY_REQUEST, _CLIENT, (Opcode.TOPOLOGY, Opcode.ERROR)),
    _op(
        m.Topology,
        Opcode.TOPOLOGY,
        _SERVER,
        (),
        _required("generation", U64),
        _required("brokers", _list(_BROKER_INFO)),
        _required("channels", _list(_CHANNEL_INFO)),
    ),
    _op(
        m.TopologyAck,
        Opcode.TOPOLOGY_ACK,
        _CLIENT,
        (),
        _required("generation", U64),
    ),
    _op(
        m.Reconcile,
        Opcode.RECONCILE,
        _CLIENT,
        (Opcode.RECONCILE_OK, Opcode.ERROR),
        _required("policy", _enum(ReconcilePolicy)),
        _required("subscriptions", _list(_RECONCILE_ENTRY)),
    ),
    _op(
        m.ReconcileOk,
        Opcode.RECONCILE_OK,
        _SERVER,
        (),
        _required("results", _list(_RECONCILE_RESULT)),
    ),
)

OP_SCHEMAS: Mapping[Opcode, OpSchema] = MappingProxyType({op.opcode: op for op in _OPS})
"""Every op, by opcode, in opcode order."""

_OP_SCHEMAS_BY_TYPE: Mapping[type[Any], OpSchema] = MappingProxyType(
    {op.python_type: op for op in _OPS}
)


def op_schema_for(message: m.Message) -> OpSchema:
    """The schema of a message object; raises `TypeError` for anything that is not an op."""
    try:
        return _OP_SCHEMAS_BY_TYPE[type(message)]
    except KeyError:
        raise TypeError(f"{type(message).__name__} is not a Sinew protocol message") from None
