"""`Driver`: the conformance steps, performed with the client's public API on the handles
a scenario created, kept by kind and name."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sinew.client import SinewClient
from sinew.conformance.catalogue_steps import CatalogueSteps
from sinew.conformance.arguments import (
    DriverError,
    Request,
    Result,
    argument,
    dead_letter_of,
    message_of,
    messages_of,
    optional_int,
    optional_str,
    required_str,
    seconds,
)
from sinew.conformance.results import (
    delivery_result,
    error_result,
    kind_name,
    receipt_result,
)
from sinew.delivery import Delivery
from sinew.errors import OperationTimeoutError, SinewError
from sinew.options import (
    AckMode,
    PublisherOptions,
    QueueOptions,
    ReliablePublisherOptions,
    SinewClientOptions,
    SinewCredentials,
    SubscribeOptions,
)
from sinew.publisher import Publisher
from sinew.subscription import Subscription
from sinew.topology import ChannelKind
from sinew.version import __version__

__all__ = ["BROKER_VARIABLE", "Driver"]

BROKER_VARIABLE = "SINEW_BROKER"
DEFAULT_PREFETCH = 100
DEFAULT_RECEIVE_TIMEOUT_MS = 5000
DEFAULT_RECEIVE_NONE_MS = 1000
DEFAULT_SUBSCRIPTION_END_TIMEOUT_MS = 5000

_log = logging.getLogger("sinew.conformance")

_H = TypeVar("_H")


@dataclass
class _SubscriptionHandle:
    subscription: Subscription
    unsubscribed: bool = False


class Driver:
    """The handles a scenario created, by kind and name, and the steps that use them."""

    def __init__(self, environment: Mapping[str, str] | None = None) -> None:
        self._environment = os.environ if environment is None else environment
        self._clients: dict[str, SinewClient] = {}
        self._publishers: dict[str, Publisher] = {}
        self._subscriptions: dict[str, _SubscriptionHandle] = {}
        self._deliveries: dict[str, Delivery] = {}
        self._catalogue_steps = CatalogueSteps()
        self._steps: dict[str, Callable[[Request], Awaitable[Result]]] = {
            "describe": self.describe,
            "reset": self.reset,
            "connect": self.connect,
            "close_client": self.close_client,
            "declare_queue": self.declare_queue,
            "create_publisher": self.create_publisher,
            "publish": self.publish,
            "publish_many": self.publish_many,
            "reliable_publish": self.reliable_publish,
            "subscribe": self.subscribe,
            "receive": self.receive,
            "iterate": self.iterate,
            "receive_none": self.receive_none,
            "ack": self.ack,
            "fail": self.fail,
            "retry": self.retry,
            "retry_after": self.retry_after,
            "extend_lease": self.extend_lease,
            "unsubscribe": self.unsubscribe,
            "subscription_end": self.subscription_end,
            "topology": self.topology,
            "catalogue": self.catalogue,
            "next_catalogue_change": self.next_catalogue_change,
        }

    @property
    def steps(self) -> Sequence[str]:
        return tuple(self._steps)

    async def handle_line(self, line: str) -> Result:
        """The response to one request line."""
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise DriverError("a request must be a JSON object")
        except (ValueError, DriverError) as error:
            _log.error("not a request: %r", line)
            return {"id": None, "ok": False, "error": error_result(error)}
        request_id = request.get("id")
        name = request.get("step")
        step = self._steps.get(name) if isinstance(name, str) else None
        if step is None:
            return {
                "id": request_id,
                "unsupported": f"the Python driver has no step {json.dumps(name)}",
            }
        try:
            result = await step(request)
        except Exception as error:
            if isinstance(error, DriverError):
                _log.error("step %s (id %s): %s", name, request_id, error)
            elif not isinstance(error, SinewError):
                _log.error("step %s (id %s) failed", name, request_id, exc_info=error)
            return {"id": request_id, "ok": False, "error": error_result(error)}
        return {"id": request_id, "ok": True, "result": result}

    async def close_everything(self) -> None:
        clients = list(self._clients.values())
        self._clients.clear()
        self._publishers.clear()
        self._subscriptions.clear()
        self._deliveries.clear()
        outcomes = await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                _log.warning("closing a client failed: %s", outcome)

    def _handle(self, handles: Mapping[str, _H], kind: str, request: Request) -> _H:
        name = required_str(request, kind)
        found = handles.get(name)
        if found is None:
            raise DriverError(f"no {kind} named {json.dumps(name)} was created")
        return found

    def _client(self, request: Request) -> SinewClient:
        return self._handle(self._clients, "client", request)

    async def describe(self, request: Request) -> Result:
        return {"client": "python", "version": __version__, "steps": list(self._steps)}

    async def reset(self, request: Request) -> Result:
        await self.close_everything()
        return {}

    async def connect(self, request: Request) -> Result:
        name = required_str(request, "client")
        if name in self._clients:
            raise DriverError(f"a client named {json.dumps(name)} already exists")
        endpoint = optional_str(request, "endpoint") or self._environment.get(BROKER_VARIABLE)
        if not endpoint:
            raise DriverError(f"no endpoint given and {BROKER_VARIABLE} is not set")
        username = optional_str(request, "username")
        password = optional_str(request, "password")
        client_name = optional_str(request, "client_name")
        connect_timeout_ms = optional_int(request, "connect_timeout_ms")
        settings: dict[str, Any] = {
            "endpoints": endpoint,
            "on_error": lambda error: _log.warning("client %s: %s", name, error.message),
        }
        if username is not None or password is not None:
            settings["credentials"] = SinewCredentials.plain(username or "", password or "")
        if client_name is not None:
            settings["client_name"] = client_name
        if connect_timeout_ms is not None:
            settings["connect_timeout"] = connect_timeout_ms / 1000
        client = await SinewClient.connect(SinewClientOptions(**settings))
        self._clients[name] = client
        info = client.server_info
        return {"server_id": None if info is None else info.server_id}

    async def close_client(self, request: Request) -> Result:
        client = self._client(request)
        del self._clients[required_str(request, "client")]
        await client.close()
        return {}

    async def declare_queue(self, request: Request) -> Result:
        client = self._client(request)
        options = QueueOptions(
            group=optional_str(request, "group"),
            partitions=optional_int(request, "partitions"),
            dead_letter=dead_letter_of(argument(request, "dead_letter")),
            max_retries=optional_int(request, "max_retries"),
            default_ttl=seconds(optional_int(request, "default_ttl_ms")),
            lease=seconds(optional_int(request, "lease_ms")),
        )
        info = await client.declare_queue(required_str(request, "topic"), options)
        return {
            "created": info.created,
            "partitions": info.partitions,
            "max_retries": info.max_retries,
            "default_ttl_ms": None if info.default_ttl is None else round(info.default_ttl * 1000),
            "lease_ms": round(info.lease * 1000),
            "dead_letter": {
                "kind": kind_name(info.dead_letter.kind),
                "topic": info.dead_letter.topic,
                "group": info.dead_letter.group,
            },
        }

    async def create_publisher(self, request: Request) -> Result:
        client = self._client(request)
        name = required_str(request, "publisher")
        options = PublisherOptions(group=optional_str(request, "group"))
        self._publishers[name] = client.create_publisher(required_str(request, "topic"), options)
        return {}

    async def publish(self, request: Request) -> Result:
        publisher = self._handle(self._publishers, "publisher", request)
        message = message_of(argument(request, "message"))
        mode = optional_str(request, "mode") or "confirmed"
        if mode == "confirmed":
            return receipt_result(await publisher.publish(message))
        if mode == "unconfirmed":
            await publisher.publish_unconfirmed(message)
            return {}
        if mode == "pipelined":
            confirmation = await publisher.publish_with_confirmation(message)
            return receipt_result(await confirmation)
        raise DriverError(f"unknown publish mode {json.dumps(mode)}")

    async def publish_many(self, request: Request) -> Result:
        publisher = self._handle(self._publishers, "publisher", request)
        messages = messages_of(request)
        mode = optional_str(request, "mode") or "pipelined"
        if mode == "batch":
            receipts = await publisher.publish_batch(messages)
        elif mode == "pipelined":
            # Every message is sent before any confirmation is awaited.
            confirmations = [await publisher.publish_with_confirmation(m) for m in messages]
            receipts = list(await asyncio.gather(*(c.wait() for c in confirmations)))
        else:
            raise DriverError(f"unknown publish_many mode {json.dumps(mode)}")
        return {"receipts": [receipt_result(receipt) for receipt in receipts]}

    async def reliable_publish(self, request: Request) -> Result:
        client = self._client(request)
        first_sequence = optional_int(request, "first_sequence")
        options = ReliablePublisherOptions(
            group=optional_str(request, "group"),
            producer_id=optional_str(request, "producer_id"),
            first_sequence=1 if first_sequence is None else first_sequence,
        )
        publisher = client.create_reliable_publisher(required_str(request, "topic"), options)
        receipts = [await publisher.publish(message) for message in messages_of(request)]
        return {"receipts": [receipt_result(receipt) for receipt in receipts]}

    async def subscribe(self, request: Request) -> Result:
        client = self._client(request)
        name = required_str(request, "subscription")
        ack_mode = optional_str(request, "ack_mode") or "manual"
        if ack_mode not in ("manual", "auto"):
            raise DriverError(f"unknown ack_mode {json.dumps(ack_mode)}")
        prefetch = optional_int(request, "prefetch")
        options = SubscribeOptions(
            group=optional_str(request, "group"),
            partition=optional_int(request, "partition"),
            prefetch=DEFAULT_PREFETCH if prefetch is None else prefetch,
            ack_mode=AckMode.AUTO if ack_mode == "auto" else AckMode.MANUAL,
        )
        subscription = await client.subscribe(required_str(request, "topic"), options)
        self._subscriptions[name] = _SubscriptionHandle(subscription)
        return {}

    def _open_subscription(self, request: Request) -> Subscription:
        handle = self._handle(self._subscriptions, "subscription", request)
        if handle.unsubscribed:
            raise DriverError("the subscription was closed by unsubscribe")
        return handle.subscription

    async def receive(self, request: Request) -> Result:
        subscription = self._open_subscription(request)
        name = required_str(request, "delivery")
        timeout_ms = optional_int(request, "timeout_ms")
        timeout = (DEFAULT_RECEIVE_TIMEOUT_MS if timeout_ms is None else timeout_ms) / 1000
        delivery = await subscription.receive(timeout=timeout)
        received_at_ms = int(time.time() * 1000)
        self._deliveries[name] = delivery
        return delivery_result(delivery, received_at_ms)

    async def iterate(self, request: Request) -> Result:
        """One delivery taken the way an application does, with `async for`, leaving the loop
        with `break`: the subscription stays open."""
        subscription = self._open_subscription(request)
        name = required_str(request, "delivery")
        timeout_ms = optional_int(request, "timeout_ms")
        timeout_ms = DEFAULT_RECEIVE_TIMEOUT_MS if timeout_ms is None else timeout_ms
        taken: Delivery | None = None
        try:
            async with asyncio.timeout(timeout_ms / 1000):
                async for delivery in subscription:
                    taken = delivery
                    break
        except TimeoutError as error:
            if isinstance(error, OperationTimeoutError):
                raise
            raise OperationTimeoutError(
                f"no delivery arrived within {timeout_ms} ms", timeout=timeout_ms / 1000
            ) from None
        if taken is None:
            raise DriverError("the subscription ended quietly")
        self._deliveries[name] = taken
        return delivery_result(taken, int(time.time() * 1000))

    async def receive_none(self, request: Request) -> Result:
        subscription = self._open_subscription(request)
        within_ms = optional_int(request, "within_ms")
        within = (DEFAULT_RECEIVE_NONE_MS if within_ms is None else within_ms) / 1000
        try:
            delivery = await subscription.receive(timeout=within)
        except OperationTimeoutError:
            return {}
        arrived = delivery_result(delivery, int(time.time() * 1000))
        raise DriverError(f"a delivery arrived: {json.dumps(arrived)}")

    def _delivery_handle(self, request: Request) -> Delivery:
        return self._handle(self._deliveries, "delivery", request)

    async def ack(self, request: Request) -> Result:
        await self._delivery_handle(request).ack()
        return {}

    async def fail(self, request: Request) -> Result:
        await self._delivery_handle(request).fail(optional_str(request, "reason"))
        return {}

    async def retry(self, request: Request) -> Result:
        await self._delivery_handle(request).retry(optional_str(request, "reason"))
        return {}

    async def retry_after(self, request: Request) -> Result:
        delivery = self._delivery_handle(request)
        delay_ms = optional_int(request, "delay_ms")
        if delay_ms is None:
            raise DriverError('the step needs "delay_ms"')
        await delivery.retry_after(delay_ms / 1000, optional_str(request, "reason"))
        return {}

    async def extend_lease(self, request: Request) -> Result:
        delivery = self._delivery_handle(request)
        await delivery.extend_lease(seconds(optional_int(request, "by_ms")))
        return {}

    async def unsubscribe(self, request: Request) -> Result:
        handle = self._handle(self._subscriptions, "subscription", request)
        handle.unsubscribed = True
        await handle.subscription.close()
        return {}

    async def subscription_end(self, request: Request) -> Result:
        handle = self._handle(self._subscriptions, "subscription", request)
        timeout_ms = optional_int(request, "timeout_ms")
        if timeout_ms is None:
            timeout_ms = DEFAULT_SUBSCRIPTION_END_TIMEOUT_MS
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_ms / 1000
        # The end reason is set as the subscription ends, whether or not deliveries are still
        # waiting to be taken; waiting for it takes none of them.
        while True:
            reason = handle.subscription.end_reason
            if reason is not None:
                return {"reason": reason.value}
            if handle.unsubscribed:
                raise DriverError("the subscription was closed by unsubscribe")
            if loop.time() >= deadline:
                raise OperationTimeoutError(
                    f"the subscription did not end within {timeout_ms} ms",
                    timeout=timeout_ms / 1000,
                )
            await asyncio.sleep(0.01)

    async def topology(self, request: Request) -> Result:
        topology = await self._client(request).topology()
        return {
            "queues": [
                {"topic": channel.topic, "group": channel.group, "partitions": channel.partitions}
                for channel in topology.channels
                if channel.kind == ChannelKind.QUEUE
            ]
        }

    async def catalogue(self, request: Request) -> Result:
        return await self._catalogue_steps.catalogue(self._client(request))

    async def next_catalogue_change(self, request: Request) -> Result:
        client = self._client(request)
        return await self._catalogue_steps.next_change(client, optional_int(request, "timeout_ms"))
