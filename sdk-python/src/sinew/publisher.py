"""`Publisher`: publishes to one queue, confirmed, unconfirmed, pipelined or in batches.

A publisher is bound to a topic and group, not to a connection: after a reconnect it goes on
publishing on the new connection. Each message is routed by the client's router (its key's
partition, or the publisher's next turn for keyless messages) and carries the routing version
the client routed with.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from sinew.connection.connection import Connection
from sinew.durations import datetime_to_unix_ms, to_milliseconds
from sinew.errors import BrokerError, InvalidArgumentError, ProtocolError, SinewError
from sinew.outgoing_message import OutgoingMessage
from sinew.publish_confirmation import PublishConfirmation
from sinew.publish_receipt import PublishReceipt
from sinew.publisher_options import PublisherOptions
from sinew.routing.router import RoundRobin, Route
from sinew.wire.flags import FrameFlags
from sinew.wire.messages import Message, Publish, PublishBatch, PublishMessage, PublishOk

if TYPE_CHECKING:
    from sinew.client import SinewClient

__all__ = ["Publisher"]

Identity = tuple[str, int]
"""An idempotency key: producer id and sequence number."""


class Publisher:
    """Publishes to one queue. Create with `SinewClient.create_publisher`."""

    def __init__(
        self, client: SinewClient, topic: str, group: str | None, options: PublisherOptions
    ) -> None:
        self._client = client
        self._topic = topic
        self._group = group
        self._options = options
        self._turns = RoundRobin()
        self._route_learned_at: int | None = None

    def __repr__(self) -> str:
        return f"Publisher(topic={self._topic!r}, group={self._group!r})"

    @property
    def topic(self) -> str:
        return self._topic

    @property
    def group(self) -> str | None:
        return self._group

    async def publish(self, message: OutgoingMessage) -> PublishReceipt:
        """Publish and wait until the broker has made the message durable."""
        receipts = await self._publish_confirmed([message], context=self._context("publish"))
        return receipts[0]

    async def publish_unconfirmed(self, message: OutgoingMessage) -> None:
        """Publish without waiting for the broker. Returns once the message is queued for
        the socket; a failure the broker reports later goes to `SinewClientOptions.on_error`."""
        context = self._context("publish_unconfirmed")
        connection = await self._ready(context)
        wire, route = self._to_wire(message, connection, None, None)
        connection.send(self._single(wire, route), context=context)

    async def publish_with_confirmation(self, message: OutgoingMessage) -> PublishConfirmation:
        """Send the message and return its pending confirmation without waiting for it."""
        context = self._context("publish_with_confirmation")
        connection = await self._ready(context)
        wire, route = self._to_wire(message, connection, None, None)
        reply = connection.start_request(
            self._single(wire, route),
            context=context,
            expects=(PublishOk,),
            flags=FrameFlags.CONFIRM,
        )
        return PublishConfirmation(reply, context=context, on_failure=self._after_failure)

    async def publish_batch(self, messages: Iterable[OutgoingMessage]) -> list[PublishReceipt]:
        """Publish several messages in one frame and wait until all are durable.

        The broker checks the batch as a whole: if any message is refused, none is stored.
        At most the broker's `max_batch_messages` messages; an empty batch sends nothing.
        """
        batch = list(messages)
        if not batch:
            return []
        return await self._publish_confirmed(batch, context=self._context("publish_batch"))

    # Shared with ReliablePublisher

    def _context(self, operation: str) -> str:
        group = f" in group {self._group!r}" if self._group else ""
        return f"{operation} to {self._topic!r}{group}"

    async def _publish_confirmed(
        self,
        messages: Sequence[OutgoingMessage],
        *,
        context: str,
        identities: Sequence[Identity] | None = None,
        routes: list[Route] | None = None,
    ) -> list[PublishReceipt]:
        """Send one confirmed frame (Publish for one message, PublishBatch for more).

        `routes`, when given, keeps the routing across calls: an empty list is filled with
        the routes chosen, a filled one is reused, so a retry goes to the same partitions.
        """
        connection = await self._ready(context)
        if len(messages) > connection.limits.max_batch_messages:
            raise InvalidArgumentError(
                f"{context}: {len(messages)} messages are more than the broker's limit of "
                f"{connection.limits.max_batch_messages} per batch",
                argument="messages",
                reason="too_many",
            )
        wires: list[PublishMessage] = []
        used: list[Route] = []
        for index, message in enumerate(messages):
            identity = identities[index] if identities is not None else None
            route = routes[index] if routes else None
            wire, chosen = self._to_wire(message, connection, identity, route)
            wires.append(wire)
            used.append(chosen)
        if routes is not None and not routes:
            routes.extend(used)
        request: Message
        if len(wires) == 1:
            request = self._single(wires[0], used[0])
        else:
            request = PublishBatch(
                topic=self._topic,
                group=self._group,
                messages=tuple(wires),
                routing_version=used[0].routing_version,
            )
        try:
            reply = await connection.request(
                request, context=context, expects=(PublishOk,), flags=FrameFlags.CONFIRM
            )
        except SinewError as error:
            self._after_failure(error)
            raise
        assert isinstance(reply, PublishOk)
        if len(reply.results) != len(wires):
            raise ProtocolError(
                f"{context}: the broker confirmed {len(reply.results)} results for "
                f"{len(wires)} messages"
            )
        return [PublishReceipt.from_wire(result) for result in reply.results]

    def _single(self, message: PublishMessage, route: Route) -> Publish:
        return Publish(
            topic=self._topic,
            group=self._group,
            message=message,
            routing_version=route.routing_version,
        )

    async def _ready(self, context: str) -> Connection:
        connection = await self._client._connection_for(context)
        # The route is learned once, and again after a redirect made the client forget it.
        forgotten = self._client._router.cache.forgotten
        if self._route_learned_at != forgotten:
            self._route_learned_at = forgotten
            await self._client._learn_route(connection, self._topic, self._group)
        await connection.wait_writable(context)
        return connection

    def _after_failure(self, error: SinewError) -> None:
        if isinstance(error, BrokerError) and error.code == "redirect":
            self._client._forget_route(self._topic, self._group)

    def _to_wire(
        self,
        message: OutgoingMessage,
        connection: Connection,
        identity: Identity | None,
        route: Route | None,
    ) -> tuple[PublishMessage, Route]:
        if not isinstance(message, OutgoingMessage):
            raise InvalidArgumentError(
                f"expected an OutgoingMessage, not {type(message).__name__}; build one with "
                "OutgoingMessage.from_text, from_json, from_msgpack or from_bytes",
                argument="message",
                reason="wrong_type",
            )
        max_headers = connection.limits.max_headers
        if len(message.headers) > max_headers:
            raise InvalidArgumentError(
                f"the message has {len(message.headers)} headers, more than the broker's limit "
                f"of {max_headers}",
                argument="headers",
                reason="too_many",
            )
        key = message.key_bytes
        if route is None:
            route = self._client._router.route(self._topic, self._group, key, self._turns)
        delay_ms = not_before_ms = None
        if message.not_before is not None:
            not_before_ms = datetime_to_unix_ms(
                message.not_before, argument="not_before", field="PublishMessage.not_before_ms"
            )
        elif message.delay is not None:
            delay_ms = to_milliseconds(
                message.delay, argument="delay", field="PublishMessage.delay_ms"
            )
        elif self._options.delay is not None:
            delay_ms = to_milliseconds(
                self._options.delay, argument="delay", field="PublishMessage.delay_ms"
            )
        ttl = message.ttl if message.ttl is not None else self._options.ttl
        wire = PublishMessage(
            payload=message.payload,
            content_type=message.content_type,
            headers=dict(message.headers) if message.headers else None,
            partition_key=key,
            partition=route.partition,
            not_before_ms=not_before_ms,
            delay_ms=delay_ms,
            ttl_ms=None
            if ttl is None
            else to_milliseconds(ttl, argument="ttl", field="PublishMessage.ttl_ms"),
            producer_id=identity[0] if identity else None,
            sequence=identity[1] if identity else None,
        )
        return wire, route
