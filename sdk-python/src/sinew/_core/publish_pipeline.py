"""`PublishPipeline`: the publishing path shared by `Publisher` and `ReliablePublisher`. It
routes each message, turns it into its wire record under the session's limits, and sends it
confirmed or unconfirmed, alone or in a batch, on the client's current connection.

A pipeline is bound to a topic and group, not to a connection: after a reconnect it publishes
on the new connection. Each message is routed by the client's router (its key's partition, or
the pipeline's next turn for keyless messages) and carries the routing version the client
routed with.

When the broker answers `redirect` (the route was stale; nothing was stored), the client
refreshes its catalogue and a confirmed publish is routed again and sent again, at most
`MAX_REDIRECT_RESENDS` times. An unconfirmed publish keeps nothing to send again: its redirect
reaches `on_error`, and the next publishes route by the refreshed catalogue.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from sinew._core.client_core import ClientCore
from sinew._core.converters import Identity, publish_message_to_wire, publish_receipt_from_wire
from sinew.connection.connection import Connection
from sinew.connection.unobserved_failure import FailureReportingFuture
from sinew.errors import (
    BrokerError,
    ClientClosedError,
    InvalidArgumentError,
    ProtocolError,
    SinewError,
)
from sinew.options.publisher_options import PublisherOptions
from sinew.outgoing_message import OutgoingMessage
from sinew.publish_receipt import PublishReceipt
from sinew.routing.router import RoundRobin, Route
from sinew.wire.flags import FrameFlags
from sinew.wire.messages import Message, Publish, PublishBatch, PublishMessage, PublishOk

__all__ = ["MAX_REDIRECT_RESENDS", "PublishPipeline"]

MAX_REDIRECT_RESENDS = 3
"""How many times a confirmed publish is sent again after `redirect`. The broker refuses a
stale route before storing anything, so sending again is safe; the bound only stops a broker
that keeps redirecting from holding a publish forever."""


class PublishPipeline:
    """Publishes to one queue on behalf of one publisher."""

    def __init__(
        self, core: ClientCore, topic: str, group: str | None, defaults: PublisherOptions
    ) -> None:
        self._core = core
        self.topic = topic
        self.group = group
        self._defaults = defaults
        self._turns = RoundRobin()
        self._route_learned = False
        # Closing: publishes started and confirmations still expected, and when none is left.
        self._closed = asyncio.Event()
        self._in_flight = 0
        self._drained = asyncio.Event()
        self._drained.set()

    # Closing

    @property
    def is_closed(self) -> bool:
        return self._closed.is_set()

    @contextlib.asynccontextmanager
    async def operation(self, context: str) -> AsyncIterator[None]:
        """Runs one publish: refused once the pipeline is closed, and waited for by `close`."""
        if self._closed.is_set():
            raise ClientClosedError(f"{context}: the publisher was closed")
        self._begin()
        try:
            yield
        finally:
            self._end()

    async def close(self) -> None:
        """Refuse further publishes, stop retry waits (`pause`), and return once every
        publish in flight and every confirmation still expected has settled."""
        self._closed.set()
        await self._drained.wait()

    async def pause(self, seconds: float, context: str, *, after: SinewError) -> None:
        """Wait `seconds` between two attempts, unless the pipeline is closed meanwhile:
        then the publish stops with `ClientClosedError`, caused by the failure `after`."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closed.wait(), seconds)
        if self._closed.is_set():
            raise ClientClosedError(f"{context}: the publisher was closed while retrying") from after

    def _begin(self) -> None:
        self._in_flight += 1
        self._drained.clear()

    def _end(self) -> None:
        self._in_flight -= 1
        if self._in_flight == 0:
            self._drained.set()

    def context(self, operation: str) -> str:
        """How an error names an operation of this pipeline (`publish to 'orders'`)."""
        group = f" in group {self.group!r}" if self.group else ""
        return f"{operation} to {self.topic!r}{group}"

    async def send_unconfirmed(self, message: OutgoingMessage, *, context: str) -> None:
        """Send without asking for a confirmation; returns once the frame is queued for the
        socket. A failure the broker reports later reaches `on_error`."""
        connection = await self._ready(context)
        record, route = self._to_wire(message, connection, None, None)
        connection.send(self._single(record, route), context=context)

    async def send_with_confirmation(
        self, message: OutgoingMessage, *, context: str
    ) -> asyncio.Future[PublishReceipt]:
        """Send asking for a confirmation; returns once sent, with the receipt to come. A
        redirected message is sent again before the receipt settles. A failed receipt nobody
        awaits is logged as a warning."""
        receipt: asyncio.Future[PublishReceipt] = FailureReportingFuture(
            loop=asyncio.get_running_loop(), what=context
        )
        await self._send_for_receipt(message, receipt, context, resends=0)
        self._begin()
        receipt.add_done_callback(lambda _: self._end())
        return receipt

    async def _send_for_receipt(
        self,
        message: OutgoingMessage,
        receipt: asyncio.Future[PublishReceipt],
        context: str,
        *,
        resends: int,
    ) -> None:
        connection = await self._ready(context)
        record, route = self._to_wire(message, connection, None, None)
        reply = connection.start_request(
            self._single(record, route),
            context=context,
            expects=(PublishOk,),
            flags=FrameFlags.CONFIRM,
        )
        reply.add_done_callback(
            lambda done: self._settle_receipt(done, receipt, context, connection, message, resends)
        )

    async def send_confirmed(
        self,
        messages: Sequence[OutgoingMessage],
        *,
        context: str,
        identities: Sequence[Identity] | None = None,
        routes: list[Route] | None = None,
    ) -> list[PublishReceipt]:
        """Send one confirmed frame (`Publish` for one message, `PublishBatch` for more) and
        wait for its receipts, sending it again (routed afresh) after a `redirect`.

        `routes`, when given, keeps the routing across calls: an empty list is filled with
        the routes chosen, a filled one is reused, so a retry goes to the same partitions.
        A redirect empties it: those routes were stale.
        """
        resends = 0
        while True:
            try:
                return await self._send_confirmed_once(
                    messages, context=context, identities=identities, routes=routes
                )
            except BrokerError as error:
                if error.code != "redirect" or resends >= MAX_REDIRECT_RESENDS:
                    raise
                resends += 1
                if routes is not None:
                    routes.clear()

    async def _send_confirmed_once(
        self,
        messages: Sequence[OutgoingMessage],
        *,
        context: str,
        identities: Sequence[Identity] | None,
        routes: list[Route] | None,
    ) -> list[PublishReceipt]:
        connection = await self._ready(context)
        if len(messages) > connection.limits.max_batch_messages:
            raise InvalidArgumentError(
                f"{context}: {len(messages)} messages are more than the broker's limit of "
                f"{connection.limits.max_batch_messages} per batch",
                argument="messages",
                reason="too_many",
            )
        records: list[PublishMessage] = []
        used: list[Route] = []
        for index, message in enumerate(messages):
            identity = identities[index] if identities is not None else None
            route = routes[index] if routes else None
            record, chosen = self._to_wire(message, connection, identity, route)
            records.append(record)
            used.append(chosen)
        if routes is not None and not routes:
            routes.extend(used)
        request: Message
        if len(records) == 1:
            request = self._single(records[0], used[0])
        else:
            request = PublishBatch(
                topic=self.topic,
                group=self.group,
                messages=tuple(records),
                routing_version=used[0].routing_version,
            )
        try:
            reply = await connection.request(
                request, context=context, expects=(PublishOk,), flags=FrameFlags.CONFIRM
            )
        except SinewError as error:
            self._after_failure(connection, error)
            raise
        assert isinstance(reply, PublishOk)
        if len(reply.results) != len(records):
            raise ProtocolError(
                f"{context}: the broker confirmed {len(reply.results)} results for "
                f"{len(records)} messages"
            )
        return [publish_receipt_from_wire(result) for result in reply.results]

    def _settle_receipt(
        self,
        reply: asyncio.Future[Message],
        receipt: asyncio.Future[PublishReceipt],
        context: str,
        connection: Connection,
        message: OutgoingMessage,
        resends: int,
    ) -> None:
        if reply.cancelled():
            receipt.cancel()
            return
        error = reply.exception()
        if isinstance(error, SinewError):
            self._after_failure(connection, error)
        if receipt.done():
            return
        if (
            isinstance(error, BrokerError)
            and error.code == "redirect"
            and resends < MAX_REDIRECT_RESENDS
        ):
            asyncio.ensure_future(self._resend_for_receipt(message, receipt, context, resends + 1))
            return
        if error is not None:
            receipt.set_exception(error)
            return
        result = reply.result()
        if not isinstance(result, PublishOk) or len(result.results) != 1:
            receipt.set_exception(
                ProtocolError(f"{context}: the confirmation holds no single result")
            )
            return
        receipt.set_result(publish_receipt_from_wire(result.results[0]))

    async def _resend_for_receipt(
        self, message: OutgoingMessage, receipt: asyncio.Future[PublishReceipt], context: str, resends: int
    ) -> None:
        try:
            await self._send_for_receipt(message, receipt, context, resends=resends)
        except asyncio.CancelledError:
            receipt.cancel()
            raise
        except Exception as error:
            if not receipt.done():
                receipt.set_exception(error)

    def _single(self, record: PublishMessage, route: Route) -> Publish:
        return Publish(
            topic=self.topic,
            group=self.group,
            message=record,
            routing_version=route.routing_version,
        )

    async def _ready(self, context: str) -> Connection:
        connection = await self._core.connection_for(context)
        # A catalogue refresh under way (after a reconnection or a redirect) brings the routes.
        await self._core.wait_for_refresh(connection)
        # The route is learned once per pipeline when the client knows nothing of the queue.
        if not self._route_learned:
            self._route_learned = True
            await self._core.learn_route(connection, self.topic, self.group)
        await connection.wait_writable(context)
        return connection

    def _after_failure(self, connection: Connection, error: SinewError) -> None:
        if isinstance(error, BrokerError) and error.code == "redirect":
            self._core.on_redirect(connection)

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
        if route is None:
            route = self._core.router.route(self.topic, self.group, message._key_bytes, self._turns)
        record = publish_message_to_wire(
            message, self._defaults, partition=route.partition, identity=identity
        )
        return record, route
