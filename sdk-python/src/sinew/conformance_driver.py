"""The conformance driver of the Python client: `python -m sinew.conformance_driver`.

The Sinew conformance runner starts it as a child process and sends it one step at a time,
one JSON object per line on standard input; the driver performs the step with the client's
public API and answers with one JSON line on standard output. It judges nothing: the
scenarios hold every expectation. Logs go to standard error only. The broker under test is
named by the environment variable `SINEW_BROKER` (`host:port`). The steps and the answer
shapes are specified in `conformance/DRIVERS.md` of the Sinew repository.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import json
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import IO, Any, TypeVar

from sinew.client import SinewClient
from sinew.delivery import Delivery
from sinew.errors import (
    BrokerError,
    InvalidArgumentError,
    OperationTimeoutError,
    SinewError,
    SubscriptionEndedError,
)
from sinew.options.client_options import SinewClientOptions
from sinew.options.credentials import SinewCredentials
from sinew.options.dead_letter_policy import DeadLetterKind, DeadLetterPolicy
from sinew.options.publisher_options import PublisherOptions, ReliablePublisherOptions
from sinew.options.queue_options import QueueOptions
from sinew.options.subscribe_options import AckMode, SubscribeOptions
from sinew.outgoing_message import OutgoingMessage
from sinew.publish_receipt import PublishReceipt
from sinew.publisher import Publisher
from sinew.subscription import Subscription
from sinew.topology import ChannelKind
from sinew.version import __version__

__all__ = ["BROKER_VARIABLE", "Driver", "main", "serve"]

BROKER_VARIABLE = "SINEW_BROKER"
DEFAULT_PREFETCH = 100
DEFAULT_RECEIVE_TIMEOUT_MS = 5000
DEFAULT_RECEIVE_NONE_MS = 1000
DEFAULT_SUBSCRIPTION_END_TIMEOUT_MS = 5000

_log = logging.getLogger("sinew.conformance_driver")

Json = Any
"""A decoded JSON value."""
Request = Mapping[str, Json]
Result = dict[str, Json]

_H = TypeVar("_H")


class DriverError(Exception):
    """A failure of the driver or of its input (an unknown handle, a malformed argument);
    reported with type `Unexpected`."""


@dataclass
class _SubscriptionHandle:
    subscription: Subscription
    unsubscribed: bool = False


# Reading arguments


def _value(request: Request, name: str) -> Json:
    """An argument, with JSON null meaning absent."""
    return request.get(name)


def _required_str(request: Request, name: str) -> str:
    value = _value(request, name)
    if not isinstance(value, str):
        raise DriverError(f'the step needs "{name}" as a string')
    return value


def _optional_str(request: Request, name: str) -> str | None:
    value = _value(request, name)
    if value is not None and not isinstance(value, str):
        raise DriverError(f'"{name}" must be a string, got {json.dumps(value)}')
    return value


def _optional_int(request: Request, name: str) -> int | None:
    """A whole number; JSON gives no int/float distinction, so 5.0 counts as 5."""
    value = _value(request, name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DriverError(f'"{name}" must be a number, got {json.dumps(value)}')
    if isinstance(value, float):
        if not value.is_integer():
            raise DriverError(f'"{name}" must be a whole number, got {value}')
        return int(value)
    return value


def _seconds(milliseconds: int | None) -> float | None:
    return None if milliseconds is None else milliseconds / 1000


def _datetime(unix_ms: int) -> datetime:
    return datetime.fromtimestamp(unix_ms / 1000, tz=timezone.utc)


def _unix_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def _message(spec: Json) -> OutgoingMessage:
    """An `OutgoingMessage` built with the client's payload helpers."""
    if not isinstance(spec, dict):
        raise DriverError("a message must be an object")
    payload = spec.get("payload")
    if not isinstance(payload, dict):
        raise DriverError("a message needs a payload object")
    headers = spec.get("headers")
    if headers is not None and not isinstance(headers, dict):
        raise DriverError('message field "headers" must be an object')
    key = _optional_str(spec, "key")
    delay_ms = _optional_int(spec, "delay_ms")
    not_before_ms = _optional_int(spec, "not_before_at_ms")
    ttl_ms = _optional_int(spec, "ttl_ms")
    content_type = _optional_str(payload, "content_type")
    options: dict[str, Any] = {
        "headers": headers,
        "key": key,
        "delay": _seconds(delay_ms),
        "not_before": None if not_before_ms is None else _datetime(not_before_ms),
        "ttl": _seconds(ttl_ms),
        "content_type": content_type,
    }
    if "text" in payload:
        text = payload["text"]
        if not isinstance(text, str):
            raise DriverError("payload.text must be a string")
        return OutgoingMessage.from_text(text, **options)
    if "json" in payload:
        return OutgoingMessage.from_json(payload["json"], **options)
    if "base64" in payload:
        encoded = payload["base64"]
        if not isinstance(encoded, str):
            raise DriverError("payload.base64 must be a string")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error as error:
            raise DriverError(f"payload.base64 is not base64: {error}") from error
        return OutgoingMessage.from_bytes(raw, **options)
    raise DriverError("a payload is one of {text}, {json} or {base64}")


def _messages(request: Request) -> list[OutgoingMessage]:
    listed = _value(request, "messages")
    if not isinstance(listed, list):
        raise DriverError('the step needs "messages" as a list')
    return [_message(spec) for spec in listed]


def _dead_letter(spec: Json) -> DeadLetterPolicy | None:
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise DriverError('"dead_letter" must be an object')
    kind = spec.get("kind")
    if kind == "discard":
        return DeadLetterPolicy.discard()
    if kind == "global":
        return DeadLetterPolicy.global_()
    if kind == "queue":
        return DeadLetterPolicy.to_queue(
            _required_str(spec, "topic"), _optional_str(spec, "group")
        )
    raise DriverError(f"unknown dead_letter kind {json.dumps(kind)}")


# Writing results


def _receipt(receipt: PublishReceipt) -> Result:
    return {
        "partition": receipt.partition,
        "offset": str(receipt.offset),
        "duplicate": receipt.duplicate,
    }


def _delivery(delivery: Delivery, received_at_ms: int) -> Result:
    try:
        text: str | None = delivery.payload.decode("utf-8")
    except UnicodeDecodeError:
        text = None  # not UTF-8: only the base64 form is reported
    return {
        "payload_base64": base64.b64encode(delivery.payload).decode("ascii"),
        "payload_text": text,
        "content_type": delivery.content_type,
        "headers": dict(delivery.headers),
        "offset": str(delivery.offset),
        "partition": delivery.partition,
        "attempt": delivery.attempt,
        "published_at_ms": _unix_ms(delivery.published_at),
        "received_at_ms": received_at_ms,
    }


def error_result(error: BaseException) -> Result:
    """The error as the runner sees it: the class name, the stable code, the retryable flag
    and the message, plus the machine-readable parts each kind carries."""
    if not isinstance(error, SinewError):
        described = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return {
            "type": "Unexpected",
            "code": "unexpected",
            "retryable": False,
            "message": described,
        }
    result: Result = {
        "type": type(error).__name__,
        "code": error.code,
        "retryable": error.is_retryable,
        "message": error.message,
    }
    if isinstance(error, BrokerError):
        result["broker_code"] = error.broker_code
        result["details"] = dict(error.details)
    elif isinstance(error, InvalidArgumentError):
        result["argument"] = error.argument
        result["reason"] = error.reason
    elif isinstance(error, SubscriptionEndedError):
        result["reason"] = error.reason.value
    return result


# The steps


class Driver:
    """The handles a scenario created, by kind and name, and the steps that use them."""

    def __init__(self, environment: Mapping[str, str] | None = None) -> None:
        self._environment = os.environ if environment is None else environment
        self._clients: dict[str, SinewClient] = {}
        self._publishers: dict[str, Publisher] = {}
        self._subscriptions: dict[str, _SubscriptionHandle] = {}
        self._deliveries: dict[str, Delivery] = {}
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
            "receive_none": self.receive_none,
            "ack": self.ack,
            "retry": self.retry,
            "nack": self.nack,
            "retry_after": self.retry_after,
            "extend_lease": self.extend_lease,
            "unsubscribe": self.unsubscribe,
            "subscription_end": self.subscription_end,
            "topology": self.topology,
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
        name = _required_str(request, kind)
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
        name = _required_str(request, "client")
        if name in self._clients:
            raise DriverError(f"a client named {json.dumps(name)} already exists")
        endpoint = _optional_str(request, "endpoint") or self._environment.get(BROKER_VARIABLE)
        if not endpoint:
            raise DriverError(f"no endpoint given and {BROKER_VARIABLE} is not set")
        username = _optional_str(request, "username")
        password = _optional_str(request, "password")
        client_name = _optional_str(request, "client_name")
        connect_timeout_ms = _optional_int(request, "connect_timeout_ms")
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
        del self._clients[_required_str(request, "client")]
        await client.close()
        return {}

    async def declare_queue(self, request: Request) -> Result:
        client = self._client(request)
        options = QueueOptions(
            group=_optional_str(request, "group"),
            partitions=_optional_int(request, "partitions"),
            dead_letter=_dead_letter(_value(request, "dead_letter")),
            max_retries=_optional_int(request, "max_retries"),
            default_ttl=_seconds(_optional_int(request, "default_ttl_ms")),
            lease=_seconds(_optional_int(request, "lease_ms")),
        )
        info = await client.declare_queue(_required_str(request, "topic"), options)
        return {
            "created": info.created,
            "partitions": info.partitions,
            "max_retries": info.max_retries,
            "default_ttl_ms": None if info.default_ttl is None else round(info.default_ttl * 1000),
            "lease_ms": round(info.lease * 1000),
            "dead_letter": {
                "kind": _kind_name(info.dead_letter.kind),
                "topic": info.dead_letter.topic,
                "group": info.dead_letter.group,
            },
        }

    async def create_publisher(self, request: Request) -> Result:
        client = self._client(request)
        name = _required_str(request, "publisher")
        options = PublisherOptions(group=_optional_str(request, "group"))
        self._publishers[name] = client.create_publisher(_required_str(request, "topic"), options)
        return {}

    async def publish(self, request: Request) -> Result:
        publisher = self._handle(self._publishers, "publisher", request)
        message = _message(_value(request, "message"))
        mode = _optional_str(request, "mode") or "confirmed"
        if mode == "confirmed":
            return _receipt(await publisher.publish(message))
        if mode == "unconfirmed":
            await publisher.publish_unconfirmed(message)
            return {}
        if mode == "pipelined":
            confirmation = await publisher.publish_with_confirmation(message)
            return _receipt(await confirmation)
        raise DriverError(f"unknown publish mode {json.dumps(mode)}")

    async def publish_many(self, request: Request) -> Result:
        publisher = self._handle(self._publishers, "publisher", request)
        messages = _messages(request)
        mode = _optional_str(request, "mode") or "pipelined"
        if mode == "batch":
            receipts = await publisher.publish_batch(messages)
        elif mode == "pipelined":
            # Every message is sent before any confirmation is awaited.
            confirmations = [await publisher.publish_with_confirmation(m) for m in messages]
            receipts = list(await asyncio.gather(*(c.wait() for c in confirmations)))
        else:
            raise DriverError(f"unknown publish_many mode {json.dumps(mode)}")
        return {"receipts": [_receipt(receipt) for receipt in receipts]}

    async def reliable_publish(self, request: Request) -> Result:
        client = self._client(request)
        options = ReliablePublisherOptions(group=_optional_str(request, "group"))
        publisher = client.create_reliable_publisher(_required_str(request, "topic"), options)
        receipts = [await publisher.publish(message) for message in _messages(request)]
        return {"receipts": [_receipt(receipt) for receipt in receipts]}

    async def subscribe(self, request: Request) -> Result:
        client = self._client(request)
        name = _required_str(request, "subscription")
        ack_mode = _optional_str(request, "ack_mode") or "manual"
        if ack_mode not in ("manual", "auto"):
            raise DriverError(f"unknown ack_mode {json.dumps(ack_mode)}")
        prefetch = _optional_int(request, "prefetch")
        options = SubscribeOptions(
            group=_optional_str(request, "group"),
            partition=_optional_int(request, "partition"),
            prefetch=DEFAULT_PREFETCH if prefetch is None else prefetch,
            ack_mode=AckMode.AUTO if ack_mode == "auto" else AckMode.MANUAL,
        )
        subscription = await client.subscribe(_required_str(request, "topic"), options)
        self._subscriptions[name] = _SubscriptionHandle(subscription)
        return {}

    def _open_subscription(self, request: Request) -> Subscription:
        handle = self._handle(self._subscriptions, "subscription", request)
        if handle.unsubscribed:
            raise DriverError("the subscription was closed by unsubscribe")
        return handle.subscription

    async def receive(self, request: Request) -> Result:
        subscription = self._open_subscription(request)
        name = _required_str(request, "delivery")
        timeout_ms = _optional_int(request, "timeout_ms")
        timeout = (DEFAULT_RECEIVE_TIMEOUT_MS if timeout_ms is None else timeout_ms) / 1000
        delivery = await subscription.next(timeout=timeout)
        received_at_ms = int(time.time() * 1000)
        self._deliveries[name] = delivery
        return _delivery(delivery, received_at_ms)

    async def receive_none(self, request: Request) -> Result:
        subscription = self._open_subscription(request)
        within_ms = _optional_int(request, "within_ms")
        within = (DEFAULT_RECEIVE_NONE_MS if within_ms is None else within_ms) / 1000
        try:
            delivery = await subscription.next(timeout=within)
        except OperationTimeoutError:
            return {}
        arrived = _delivery(delivery, int(time.time() * 1000))
        raise DriverError(f"a delivery arrived: {json.dumps(arrived)}")

    def _delivery_handle(self, request: Request) -> Delivery:
        return self._handle(self._deliveries, "delivery", request)

    async def ack(self, request: Request) -> Result:
        await self._delivery_handle(request).ack()
        return {}

    async def retry(self, request: Request) -> Result:
        await self._delivery_handle(request).retry()
        return {}

    async def nack(self, request: Request) -> Result:
        delivery = self._delivery_handle(request)
        await delivery.nack(_optional_str(request, "reason"))
        return {}

    async def retry_after(self, request: Request) -> Result:
        delivery = self._delivery_handle(request)
        delay_ms = _optional_int(request, "delay_ms")
        if delay_ms is None:
            raise DriverError('the step needs "delay_ms"')
        await delivery.retry_after(delay_ms / 1000)
        return {}

    async def extend_lease(self, request: Request) -> Result:
        delivery = self._delivery_handle(request)
        await delivery.extend_lease(_seconds(_optional_int(request, "by_ms")))
        return {}

    async def unsubscribe(self, request: Request) -> Result:
        handle = self._handle(self._subscriptions, "subscription", request)
        handle.unsubscribed = True
        await handle.subscription.close()
        return {}

    async def subscription_end(self, request: Request) -> Result:
        handle = self._handle(self._subscriptions, "subscription", request)
        timeout_ms = _optional_int(request, "timeout_ms")
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


def _kind_name(kind: DeadLetterKind) -> str:
    return kind.name.lower()


# The request loop


async def serve(input_stream: IO[str], output_stream: IO[str], driver: Driver) -> None:
    """Answer requests from `input_stream` one at a time until it ends, then close every
    client."""
    try:
        while True:
            line = await asyncio.to_thread(input_stream.readline)
            if not line:
                break
            if not line.strip():
                continue
            response = await driver.handle_line(line)
            output_stream.write(json.dumps(response, ensure_ascii=False) + "\n")
            output_stream.flush()
    finally:
        await driver.close_everything()


def main() -> None:
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Requests and answers are UTF-8 whatever the locale says.
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline="\n")
    stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
    try:
        asyncio.run(serve(stdin, stdout, Driver()))
    finally:
        stdout.flush()


if __name__ == "__main__":
    main()
