"""Reading a conformance request: its arguments, with JSON null meaning absent, and the
messages and dead-letter policies it describes, built with the client's public API.

A malformed argument is a `DriverError`, which the driver reports with type `Unexpected`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from sinew.options import DeadLetterPolicy
from sinew.outgoing_message import OutgoingMessage

__all__ = [
    "DriverError",
    "Json",
    "Request",
    "Result",
    "argument",
    "dead_letter_of",
    "message_of",
    "messages_of",
    "optional_int",
    "optional_str",
    "required_str",
    "seconds",
    "to_datetime",
]

Json = Any
"""A decoded JSON value."""
Request = Mapping[str, Json]
Result = dict[str, Json]


class DriverError(Exception):
    """A failure of the driver or of its input (an unknown handle, a malformed argument);
    reported with type `Unexpected`."""


def argument(request: Request, name: str) -> Json:
    """An argument, with JSON null meaning absent."""
    return request.get(name)


def required_str(request: Request, name: str) -> str:
    value = argument(request, name)
    if not isinstance(value, str):
        raise DriverError(f'the step needs "{name}" as a string')
    return value


def optional_str(request: Request, name: str) -> str | None:
    value = argument(request, name)
    if value is not None and not isinstance(value, str):
        raise DriverError(f'"{name}" must be a string, got {json.dumps(value)}')
    return value


def optional_int(request: Request, name: str) -> int | None:
    """A whole number; JSON gives no int/float distinction, so 5.0 counts as 5."""
    value = argument(request, name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DriverError(f'"{name}" must be a number, got {json.dumps(value)}')
    if isinstance(value, float):
        if not value.is_integer():
            raise DriverError(f'"{name}" must be a whole number, got {value}')
        return int(value)
    return value


def seconds(milliseconds: int | None) -> float | None:
    return None if milliseconds is None else milliseconds / 1000


def to_datetime(unix_ms: int) -> datetime:
    return datetime.fromtimestamp(unix_ms / 1000, tz=timezone.utc)


def message_of(spec: Json) -> OutgoingMessage:
    """An `OutgoingMessage` built with the client's payload helpers."""
    if not isinstance(spec, dict):
        raise DriverError("a message must be an object")
    payload = spec.get("payload")
    if not isinstance(payload, dict):
        raise DriverError("a message needs a payload object")
    headers = spec.get("headers")
    if headers is not None and not isinstance(headers, dict):
        raise DriverError('message field "headers" must be an object')
    key = optional_str(spec, "key")
    delay_ms = optional_int(spec, "delay_ms")
    not_before_ms = optional_int(spec, "not_before_at_ms")
    ttl_ms = optional_int(spec, "ttl_ms")
    content_type = optional_str(payload, "content_type")
    options: dict[str, Any] = {
        "headers": headers,
        "key": key,
        "delay": seconds(delay_ms),
        "not_before": None if not_before_ms is None else to_datetime(not_before_ms),
        "ttl": seconds(ttl_ms),
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


def messages_of(request: Request) -> list[OutgoingMessage]:
    listed = argument(request, "messages")
    if not isinstance(listed, list):
        raise DriverError('the step needs "messages" as a list')
    return [message_of(spec) for spec in listed]


def dead_letter_of(spec: Json) -> DeadLetterPolicy | None:
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
            required_str(spec, "topic"), optional_str(spec, "group")
        )
    raise DriverError(f"unknown dead_letter kind {json.dumps(kind)}")
