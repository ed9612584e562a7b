"""Conversions between the public value types and the wire records: options and messages
into the records a request carries, and the broker's answers into the values the handles
return. The public types know nothing of the wire; this is the one place that maps them.
"""

from __future__ import annotations

from sinew.connection.endpoint import Endpoint, parse_endpoint
from sinew.connection.settings import ConnectionSettings
from sinew.durations import datetime_to_unix_ms, to_milliseconds, to_seconds
from sinew.naming import normalise_group
from sinew.options.client_options import SinewClientOptions
from sinew.options.credentials import SinewCredentials
from sinew.options.dead_letter_policy import DeadLetterKind, DeadLetterPolicy
from sinew.options.publisher_options import PublisherOptions
from sinew.options.queue_options import QueueOptions
from sinew.outgoing_message import OutgoingMessage
from sinew.publish_receipt import PublishReceipt
from sinew.queue_info import QueueInfo
from sinew.server_info import BrokerLimits, ServerInfo
from sinew.topology import ChannelKind, Topology, TopologyBroker, TopologyChannel
from sinew.version import __version__
from sinew.wire import messages as wire

__all__ = [
    "Identity",
    "connection_settings",
    "credentials_to_wire",
    "dead_letter_from_wire",
    "dead_letter_to_wire",
    "declare_queue_request",
    "endpoints_of",
    "publish_message_to_wire",
    "publish_receipt_from_wire",
    "queue_info_from_wire",
    "server_info_from_session",
    "topology_from_wire",
]

Identity = tuple[str, int]
"""An idempotency key: producer id and sequence number."""


# Options into what a connection opens with


def endpoints_of(options: SinewClientOptions) -> tuple[Endpoint, ...]:
    """The endpoints as host and port, in order (the options checked they parse)."""
    return tuple(parse_endpoint(text) for text in options.endpoints)


def connection_settings(options: SinewClientOptions) -> ConnectionSettings:
    return ConnectionSettings(
        client_name=options.client_name,
        client_version=__version__,
        credentials=None
        if options.credentials is None
        else credentials_to_wire(options.credentials),
        heartbeat_ms=None
        if options.heartbeat is None
        else to_milliseconds(options.heartbeat, argument="heartbeat"),
        connect_timeout=to_seconds(options.connect_timeout, argument="connect_timeout"),
        request_timeout=to_seconds(options.request_timeout, argument="request_timeout"),
    )


def credentials_to_wire(credentials: SinewCredentials) -> wire.Auth:
    return wire.Auth(
        mechanism=credentials.mechanism, identity=credentials.identity, secret=credentials._secret
    )


# Queues


def dead_letter_to_wire(policy: DeadLetterPolicy) -> wire.DeadLetterPolicy:
    return wire.DeadLetterPolicy(kind=policy.kind, topic=policy.topic, group=policy.group)


def dead_letter_from_wire(policy: wire.DeadLetterPolicy) -> DeadLetterPolicy:
    # What the broker reports is taken as is, without the checks a caller's policy gets.
    instance = object.__new__(DeadLetterPolicy)
    object.__setattr__(instance, "kind", DeadLetterKind(policy.kind))
    object.__setattr__(instance, "topic", policy.topic)
    object.__setattr__(instance, "group", normalise_group(policy.group))
    return instance


def declare_queue_request(
    topic: str, group: str | None, options: QueueOptions
) -> wire.DeclareQueue:
    return wire.DeclareQueue(
        topic=topic,
        group=group,
        partitions=options.partitions,
        dead_letter=None
        if options.dead_letter is None
        else dead_letter_to_wire(options.dead_letter),
        max_retries=options.max_retries,
        default_ttl_ms=None
        if options.default_ttl is None
        else to_milliseconds(
            options.default_ttl, argument="default_ttl", field="DeclareQueue.default_ttl_ms"
        ),
        lease_ms=None
        if options.lease is None
        else to_milliseconds(options.lease, argument="lease", field="DeclareQueue.lease_ms"),
    )


def queue_info_from_wire(topic: str, group: str | None, reply: wire.DeclareQueueOk) -> QueueInfo:
    return QueueInfo(
        topic=topic,
        group=group,
        created=reply.created,
        partitions=reply.partitions,
        dead_letter=dead_letter_from_wire(reply.dead_letter),
        max_retries=reply.max_retries,
        default_ttl=None if reply.default_ttl_ms is None else reply.default_ttl_ms / 1000,
        lease=reply.lease_ms / 1000,
    )


# Publishing


def publish_message_to_wire(
    message: OutgoingMessage,
    defaults: PublisherOptions,
    *,
    partition: int | None,
    identity: Identity | None,
) -> wire.PublishMessage:
    """The record of one message; the publisher's `delay` and `ttl` fill in what the message
    leaves unset (a `not_before` on the message overrides a default delay)."""
    delay_ms = not_before_ms = None
    if message.not_before is not None:
        not_before_ms = datetime_to_unix_ms(
            message.not_before, argument="not_before", field="PublishMessage.not_before_ms"
        )
    elif message.delay is not None:
        delay_ms = to_milliseconds(message.delay, argument="delay", field="PublishMessage.delay_ms")
    elif defaults.delay is not None:
        delay_ms = to_milliseconds(
            defaults.delay, argument="delay", field="PublishMessage.delay_ms"
        )
    ttl = message.ttl if message.ttl is not None else defaults.ttl
    return wire.PublishMessage(
        payload=message.payload,
        content_type=message.content_type,
        headers=dict(message.headers) if message.headers else None,
        partition_key=message._key_bytes,
        partition=partition,
        not_before_ms=not_before_ms,
        delay_ms=delay_ms,
        ttl_ms=None
        if ttl is None
        else to_milliseconds(ttl, argument="ttl", field="PublishMessage.ttl_ms"),
        producer_id=identity[0] if identity else None,
        sequence=identity[1] if identity else None,
    )


def publish_receipt_from_wire(result: wire.PublishResult) -> PublishReceipt:
    return PublishReceipt(
        partition=result.partition, offset=result.offset, duplicate=result.duplicate
    )


# The broker and its catalogue


def server_info_from_session(endpoint: str, session: wire.HelloOk) -> ServerInfo:
    limits = session.limits
    return ServerInfo(
        endpoint=endpoint,
        server_id=session.server_id,
        server_version=session.server_version,
        session_id=session.session_id,
        protocol_version=session.version,
        heartbeat=session.heartbeat_ms / 1000,
        limits=BrokerLimits(
            max_frame_bytes=limits.max_frame_bytes,
            max_batch_messages=limits.max_batch_messages,
            max_headers=limits.max_headers,
            max_prefetch=limits.max_prefetch,
        ),
    )


def topology_from_wire(topology: wire.Topology) -> Topology:
    return Topology(
        generation=topology.generation,
        brokers=tuple(
            TopologyBroker(broker_id=broker.broker_id, endpoints=tuple(broker.endpoints))
            for broker in topology.brokers
        ),
        channels=tuple(
            TopologyChannel(
                kind=ChannelKind(channel.kind),
                topic=channel.topic,
                group=normalise_group(channel.group),
                partitions=channel.partitions,
                routing_version=channel.routing_version,
                owners=None if channel.owners is None else tuple(channel.owners),
            )
            for channel in topology.channels
        ),
    )
