"""`SinewClient`: the entry point. Connects, declares queues, creates publishers and
subscriptions, reconnects when needed and closes cleanly.

The client holds at most one connection. When it drops, what was in flight fails with
`ConnectionLostError`, subscriptions end with reason `connection_lost`, and the next
operation reconnects first under the `ReconnectPolicy`, opening a new session (sessions are
not resumed). Publishers are not tied to a connection and keep working on the new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from types import TracebackType
from typing import Any

from sinew.awaitable_context import AwaitableContext
from sinew.client_options import SinewClientOptions
from sinew.connection.connection import Connection
from sinew.connection.endpoint import Endpoint, parse_endpoint
from sinew.connection.handshake import describe
from sinew.connection.settings import ConnectionSettings
from sinew.durations import to_milliseconds, to_seconds
from sinew.errors import (
    BrokerError,
    ClientClosedError,
    ConnectionError,
    ConnectionLostError,
    InvalidArgumentError,
    OperationTimeoutError,
    SinewError,
)
from sinew.publisher import Publisher
from sinew.publisher_options import PublisherOptions, ReliablePublisherOptions
from sinew.queue_info import QueueInfo
from sinew.queue_options import QueueOptions
from sinew.reliable_publisher import ReliablePublisher
from sinew.routing.router import Router
from sinew.routing.topology_cache import TopologyCache
from sinew.server_info import ServerInfo
from sinew.subscribe_options import SubscribeOptions
from sinew.subscription import Subscription
from sinew.topology import Topology
from sinew.validation import require_topic_and_group
from sinew.version import __version__
from sinew.wire import messages as wire

__all__ = ["SinewClient"]

_log = logging.getLogger("sinew.client")


class SinewClient:
    """A connection to a Sinew broker and the factory of every other handle.

    Connect with `SinewClient.connect`, which can be awaited or used with `async with`::

        async with SinewClient.connect(SinewClientOptions(endpoints="127.0.0.1:7420")) as client:
            await client.declare_queue("orders")

    Constructing a `SinewClient` directly does not connect; use `connect`.
    """

    def __init__(self, options: SinewClientOptions) -> None:
        if not isinstance(options, SinewClientOptions):
            raise InvalidArgumentError(
                "options must be SinewClientOptions", argument="options", reason="wrong_type"
            )
        self._options = options
        self._endpoints = options.parsed_endpoints
        self._preferred_endpoint: Endpoint | None = None
        self._connection: Connection | None = None
        self._reconnect_lock = asyncio.Lock()
        self._closed = False
        self._closed_event = asyncio.Event()
        self._close_finished = asyncio.Event()
        self._cache = TopologyCache()
        self._router = Router(self._cache)
        self._routes: dict[int, Subscription] = {}
        self._subscriptions: set[Subscription] = set()
        self._events = _ConnectionEvents(self)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "connected" if self.is_connected else "disconnected"
        return f"SinewClient(endpoints={list(self._options.endpoints)!r}, {state})"

    # Lifecycle

    @classmethod
    def connect(cls, options: SinewClientOptions | None = None) -> AwaitableContext[SinewClient]:
        """Connect to the first endpoint that completes the handshake, trying them in order.

        Raises `ConnectionError` when none does, and `BrokerError` when a broker refuses the
        handshake (`unauthorized`, `protocol_mismatch`).
        """
        resolved = options if options is not None else SinewClientOptions()

        async def start() -> SinewClient:
            client = cls(resolved)
            await client._connect_first()
            return client

        return AwaitableContext(start)

    async def close(self) -> None:
        """Unsubscribe every subscription, say `Goodbye` (the broker returns unsettled
        deliveries to their queues), wait briefly for its `Ok`, close the socket and stop
        every background task. Operations still waiting fail with `ClientClosedError`.
        Safe to call more than once."""
        if self._closed:
            await self._close_finished.wait()
            return
        self._closed = True
        self._closed_event.set()
        try:
            connection = self._connection
            unsubscribes: list[asyncio.Future[wire.Message]] = []
            for subscription in list(self._subscriptions):
                for subscription_id in subscription._client_closing():
                    if connection is not None and connection.is_open:
                        with contextlib.suppress(SinewError):
                            unsubscribes.append(
                                connection.start_request(
                                    wire.Unsubscribe(subscription_id=subscription_id),
                                    context="unsubscribe while closing",
                                    expects=(wire.Ok,),
                                )
                            )
            self._routes.clear()
            self._subscriptions.clear()
            if connection is not None:
                goodbye_timeout = to_seconds(self._options.close_timeout, argument="close_timeout")
                await connection.close(goodbye_timeout=goodbye_timeout)
            # Answered before Goodbye's Ok, or failed by the close: either way settled now.
            await asyncio.gather(*unsubscribes, return_exceptions=True)
        finally:
            self._close_finished.set()

    async def __aenter__(self) -> SinewClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def options(self) -> SinewClientOptions:
        return self._options

    @property
    def is_closed(self) -> bool:
        return self._closed

    @property
    def is_connected(self) -> bool:
        """True while the client holds an open connection."""
        return self._connection is not None and self._connection.is_open

    @property
    def server_info(self) -> ServerInfo | None:
        """The broker and session of the current connection; None while disconnected."""
        connection = self._connection
        if connection is None or not connection.is_open:
            return None
        return ServerInfo.from_handshake(str(connection.endpoint), connection.session)

    # Operations

    async def declare_queue(self, topic: str, options: QueueOptions | None = None) -> QueueInfo:
        """Create the queue, or confirm it exists with the same settings, and return its
        effective settings. A different setting on an existing queue is a `BrokerError`
        with code `conflict`."""
        options = options if options is not None else QueueOptions()
        topic, group = require_topic_and_group(topic, options.group)
        request = wire.DeclareQueue(
            topic=topic,
            group=group,
            partitions=options.partitions,
            dead_letter=None if options.dead_letter is None else options.dead_letter.to_wire(),
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
        context = f"declare_queue({topic!r})"
        connection = await self._connection_for(context)
        reply = await connection.request(request, context=context, expects=(wire.DeclareQueueOk,))
        assert isinstance(reply, wire.DeclareQueueOk)
        self._cache.learn_partitions(topic, group, reply.partitions)
        return QueueInfo.from_wire(topic, group, reply)

    def create_publisher(self, topic: str, options: PublisherOptions | None = None) -> Publisher:
        """A publisher for the queue `topic`. Nothing is sent until it publishes."""
        self._check_open("create_publisher")
        options = options if options is not None else PublisherOptions()
        if not isinstance(options, PublisherOptions):
            raise InvalidArgumentError(
                "options must be PublisherOptions", argument="options", reason="wrong_type"
            )
        topic, group = require_topic_and_group(topic, options.group)
        return Publisher(self, topic, group, options)

    def create_reliable_publisher(
        self, topic: str, options: ReliablePublisherOptions | None = None
    ) -> ReliablePublisher:
        """A publisher with idempotency keys and bounded retries for the queue `topic`."""
        self._check_open("create_reliable_publisher")
        options = options if options is not None else ReliablePublisherOptions()
        if not isinstance(options, ReliablePublisherOptions):
            raise InvalidArgumentError(
                "options must be ReliablePublisherOptions", argument="options", reason="wrong_type"
            )
        topic, group = require_topic_and_group(topic, options.group)
        return ReliablePublisher(self, topic, group, options)

    def subscribe(
        self, topic: str, options: SubscribeOptions | None = None
    ) -> AwaitableContext[Subscription]:
        """Subscribe to the queue `topic`; await it, or use it with `async with`.

        Without `options.partition`, one broker subscription is opened per partition and
        their deliveries are merged. Argument errors are raised when it is awaited.
        """
        resolved = options if options is not None else SubscribeOptions()
        return AwaitableContext(lambda: self._subscribe(topic, resolved))

    async def topology(self) -> Topology:
        """The broker's catalogue of queues and streams; also refreshes the client's routing."""
        connection = await self._connection_for("topology()")
        return Topology.from_wire(await self._request_topology(connection))

    # Used by the handles

    def _check_open(self, context: str) -> None:
        if self._closed:
            raise ClientClosedError(f"{context}: the client is closed")

    async def _connection_for(self, context: str) -> Connection:
        """The open connection, reconnecting first when it dropped."""
        self._check_open(context)
        connection = self._connection
        if connection is not None and connection.is_open:
            return connection
        async with self._reconnect_lock:
            self._check_open(context)
            connection = self._connection
            if connection is not None and connection.is_open:
                return connection
            return await self._reconnect(context)

    async def _learn_route(self, connection: Connection, topic: str, group: str | None) -> None:
        """Fetch the topology when nothing is known about a queue, so keyless messages spread
        over all its partitions rather than all going to partition 0. A broker that refuses
        or does not answer leaves the routing as it was; the operation goes on without it."""
        if self._router.knows(topic, group):
            return
        try:
            await self._request_topology(connection)
        except (BrokerError, OperationTimeoutError) as error:
            _log.debug("no topology for %r: %s", topic, error)

    def _forget_route(self, topic: str, group: str | None) -> None:
        """A `redirect` said the routing used for this queue is stale: drop it, so the next
        publish learns it again rather than repeating the stale one."""
        self._cache.forget(topic, group)

    async def _request_topology(self, connection: Connection) -> wire.Topology:
        reply = await connection.request(
            wire.TopologyRequest(), context="topology()", expects=(wire.Topology,)
        )
        assert isinstance(reply, wire.Topology)
        self._cache.apply(reply)
        return reply

    def _register_part(self, subscription_id: int, subscription: Subscription) -> None:
        self._routes[subscription_id] = subscription

    def _forget_parts(self, subscription_ids: list[int]) -> None:
        for subscription_id in subscription_ids:
            self._routes.pop(subscription_id, None)

    def _forget_subscription(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    # Subscribing

    async def _subscribe(self, topic: str, options: SubscribeOptions) -> Subscription:
        if not isinstance(options, SubscribeOptions):
            raise InvalidArgumentError(
                "options must be SubscribeOptions", argument="options", reason="wrong_type"
            )
        topic, group = require_topic_and_group(topic, options.group)
        context = f"subscribe to {topic!r}"
        connection = await self._connection_for(context)
        max_prefetch = connection.limits.max_prefetch
        if options.prefetch > max_prefetch:
            raise InvalidArgumentError(
                f"prefetch {options.prefetch} is more than the broker's limit of {max_prefetch}",
                argument="prefetch",
                reason="out_of_range",
            )
        partitions: list[int | None]
        await self._learn_route(connection, topic, group)
        count = self._router.partitions(topic, group)
        if options.partition is not None:
            if count and options.partition >= count:
                raise InvalidArgumentError(
                    f"partition {options.partition} is not a partition of {topic!r}, which has "
                    f"{count} (0 to {count - 1})",
                    argument="partition",
                    reason="out_of_range",
                )
            partitions = [options.partition]
        else:
            # Unknown to the topology: one subscription over every partition, and the
            # broker's answer (usually not_found) decides.
            partitions = list(range(count)) if count else [None]
        subscription = Subscription(
            client=self,
            connection=connection,
            topic=topic,
            group=group,
            ack_mode=options.ack_mode,
            prefetch=options.prefetch,
            broker_subscriptions=len(partitions),
        )
        replies: list[asyncio.Future[wire.Message]] = []
        try:
            for partition in partitions:
                replies.append(
                    connection.start_request(
                        wire.Subscribe(
                            topic=topic,
                            group=group,
                            partition=partition,
                            ack_mode=options.ack_mode,
                            prefetch=options.prefetch,
                        ),
                        context=context
                        if partition is None
                        else f"{context} partition {partition}",
                        expects=(wire.SubscribeOk,),
                        on_reply=subscription._attach,
                    )
                )
            results = await asyncio.gather(*replies, return_exceptions=True)
        except BaseException:
            subscription._abandon()
            raise
        failures = [result for result in results if isinstance(result, BaseException)]
        if failures:
            subscription._abandon()
            raise failures[0]
        if self._closed or not connection.is_open:
            subscription._abandon()
            self._check_open(context)
            raise connection.end_reason or ConnectionLostError(
                f"{context}: the connection was lost"
            )
        self._subscriptions.add(subscription)
        subscription._established_by_client()
        return subscription

    # Connecting

    def _settings(self) -> ConnectionSettings:
        options = self._options
        return ConnectionSettings(
            client_name=options.client_name,
            client_version=__version__,
            credentials=None if options.credentials is None else options.credentials.to_wire(),
            heartbeat_ms=None
            if options.heartbeat is None
            else to_milliseconds(options.heartbeat, argument="heartbeat"),
            connect_timeout=to_seconds(options.connect_timeout, argument="connect_timeout"),
            request_timeout=to_seconds(options.request_timeout, argument="request_timeout"),
        )

    async def _connect_first(self) -> None:
        self._install(await self._open_any())

    async def _reconnect(self, context: str) -> Connection:
        policy = self._options.reconnect
        if policy.max_attempts == 0:
            raise ConnectionLostError(
                f"{context}: the connection was lost and reconnecting is disabled "
                "(ReconnectPolicy.max_attempts is 0)"
            )
        last: SinewError | None = None
        failures: list[tuple[str, BaseException]] = []
        for attempt in range(1, policy.max_attempts + 1):
            delay = policy.delay_before(attempt)
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closed_event.wait(), delay)
            self._check_open(context)
            try:
                connection = await self._unless_closed(self._open_any(), context)
            except ConnectionError as error:
                last = error
                failures.extend(error.failures)
                continue
            except BrokerError as error:
                if not error.is_retryable:
                    raise
                last = error
                continue
            if self._closed:
                await connection.close(goodbye_timeout=0)
                self._check_open(context)
            self._install(connection)
            _log.info("reconnected to %s after %d attempt(s)", connection.endpoint, attempt)
            return connection
        raise ConnectionError(
            f"{context}: could not reconnect in {policy.max_attempts} attempt(s)"
            + (f"; last: {describe(last)}" if last is not None else ""),
            failures=tuple(failures),
        ) from last

    async def _unless_closed(
        self, opening: Coroutine[Any, Any, Connection], context: str
    ) -> Connection:
        """Run a connection attempt, abandoning it as soon as the client is closed, so that
        `close()` does not leave an operation waiting out the connect timeout."""
        attempt = asyncio.ensure_future(opening)
        closed = asyncio.ensure_future(self._closed_event.wait())
        try:
            await asyncio.wait({attempt, closed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closed.cancel()
            if not attempt.done():
                attempt.cancel()
                await asyncio.gather(attempt, return_exceptions=True)
        if attempt.cancelled():
            self._check_open(context)
        return attempt.result()

    async def _open_any(self) -> Connection:
        """One pass over the endpoints in order (a `GoingAway` target first)."""
        endpoints = list(self._endpoints)
        if self._preferred_endpoint is not None:
            endpoints.insert(0, self._preferred_endpoint)
        settings = self._settings()
        failures: list[tuple[str, BaseException]] = []
        for endpoint in endpoints:
            try:
                return await Connection.open(endpoint, settings, self._events)
            except ConnectionError as error:
                failures.append((str(endpoint), error))
            except BrokerError as error:
                # A refusal is final unless the broker says it may pass (e.g. unavailable
                # while starting), in which case another endpoint may serve.
                if not error.is_retryable:
                    raise
                failures.append((str(endpoint), error))
        listed = "; ".join(f"{endpoint}: {describe(error)}" for endpoint, error in failures)
        raise ConnectionError(
            f"could not connect to any of {len(endpoints)} endpoint(s): {listed}",
            failures=tuple(failures),
        ) from (failures[-1][1] if failures else None)

    def _install(self, connection: Connection) -> None:
        # Every connection starts a new session: no resume token is sent, since the broker
        # does not resume sessions, so nothing is reconciled either.
        self._connection = connection
        self._preferred_endpoint = None

    # Events from the connection

    def _on_connection_lost(self, connection: Connection, error: ConnectionLostError) -> None:
        if connection is not self._connection:
            return
        for subscription in list(self._subscriptions):
            subscription._connection_lost(error)
        self._routes.clear()
        self._subscriptions.clear()
        self._report(error)

    def _on_going_away(self, message: wire.GoingAway) -> None:
        _log.info("the broker is going away: %s", message.message)
        if message.reconnect_to:
            try:
                self._preferred_endpoint = parse_endpoint(message.reconnect_to)
            except InvalidArgumentError:
                _log.warning("ignored an invalid reconnect_to %r", message.reconnect_to)

    def _on_unsolicited_error(self, error: BrokerError) -> None:
        _log.warning("%s", error.message)
        self._report(error)

    def _report(self, error: SinewError) -> None:
        callback = self._options.on_error
        if callback is not None:
            try:
                callback(error)
            except Exception:
                _log.exception("SinewClientOptions.on_error raised")


class _ConnectionEvents:
    """The client's `ConnectionListener`, kept off the public surface of `SinewClient`."""

    def __init__(self, client: SinewClient) -> None:
        self._client = client

    def on_deliver(self, connection: Connection, message: wire.Deliver) -> None:
        subscription = self._client._routes.get(message.subscription_id)
        if subscription is not None:
            subscription._deliver(message)
        else:
            _log.debug("dropped a delivery for unknown subscription %d", message.subscription_id)

    def on_subscription_closed(
        self, connection: Connection, message: wire.SubscriptionClosed
    ) -> None:
        subscription = self._client._routes.pop(message.subscription_id, None)
        if subscription is not None:
            subscription._part_closed(message.subscription_id, message.reason, message.message)

    def on_topology(self, connection: Connection, message: wire.Topology) -> bool:
        return self._client._cache.apply(message)

    def on_going_away(self, connection: Connection, message: wire.GoingAway) -> None:
        self._client._on_going_away(message)

    def on_unsolicited_error(self, connection: Connection, error: BrokerError) -> None:
        self._client._on_unsolicited_error(error)

    def on_connection_lost(self, connection: Connection, error: ConnectionLostError) -> None:
        self._client._on_connection_lost(connection, error)
