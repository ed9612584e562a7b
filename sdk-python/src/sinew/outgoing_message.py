"""`OutgoingMessage`: a message to publish, with its payload helpers.

The payload is bytes; `from_text`, `from_json` and `from_msgpack` encode a value and set the
matching content type, and the constructor takes any bytes with a custom content type.
Every field is checked on construction, so an invalid message is refused before it is sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final

import msgpack

from sinew._core.argument_checks import require_content_type, require_headers
from sinew.durations import Duration, datetime_to_unix_ms, to_milliseconds
from sinew.errors import InvalidArgumentError

__all__ = [
    "JSON_CONTENT_TYPE",
    "MSGPACK_CONTENT_TYPE",
    "TEXT_CONTENT_TYPE",
    "OutgoingMessage",
]

TEXT_CONTENT_TYPE: Final = "text/plain; charset=utf-8"
JSON_CONTENT_TYPE: Final = "application/json"
MSGPACK_CONTENT_TYPE: Final = "application/msgpack"


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One message to publish. Immutable.

    `key` routes the message: every message with the same key goes to the same partition and
    keeps its order (a str key is hashed as its UTF-8 bytes). `delay` (relative to the
    broker's receipt, at most 3650 days) and `not_before` (an aware datetime, at most 3650
    days ahead) postpone delivery; at most one of the two. `ttl` (1 ms to 3650 days) expires
    the message if it is still undelivered by then.
    """

    payload: bytes
    content_type: str | None = field(default=None, kw_only=True)
    headers: Mapping[str, str] = field(default_factory=dict, kw_only=True)
    key: bytes | str | None = field(default=None, kw_only=True)
    delay: Duration | None = field(default=None, kw_only=True)
    not_before: datetime | None = field(default=None, kw_only=True)
    ttl: Duration | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if isinstance(self.payload, bytearray | memoryview):
            object.__setattr__(self, "payload", bytes(self.payload))
        elif not isinstance(self.payload, bytes):
            raise InvalidArgumentError(
                f"payload must be bytes, not {type(self.payload).__name__}; use "
                "OutgoingMessage.from_text, from_json or from_msgpack to encode a value",
                argument="payload",
                reason="wrong_type",
            )
        if self.content_type is not None:
            require_content_type(self.content_type)
        object.__setattr__(self, "headers", MappingProxyType(require_headers(self.headers)))
        if self.key is not None:
            if isinstance(self.key, bytearray | memoryview):
                object.__setattr__(self, "key", bytes(self.key))
            elif isinstance(self.key, str):
                try:
                    self.key.encode("utf-8")
                except UnicodeEncodeError:
                    raise InvalidArgumentError(
                        "key holds an unpaired surrogate, which has no UTF-8 form",
                        argument="key",
                        reason="invalid_unicode",
                    ) from None
            elif not isinstance(self.key, bytes):
                raise InvalidArgumentError(
                    f"key must be bytes or str, not {type(self.key).__name__}",
                    argument="key",
                    reason="wrong_type",
                )
        if self.delay is not None and self.not_before is not None:
            raise InvalidArgumentError(
                "set delay or not_before, not both", argument="delay", reason="conflicting_options"
            )
        if self.delay is not None:
            to_milliseconds(self.delay, argument="delay", field="PublishMessage.delay_ms")
        if self.not_before is not None:
            datetime_to_unix_ms(
                self.not_before, argument="not_before", field="PublishMessage.not_before_ms"
            )
        if self.ttl is not None:
            to_milliseconds(
                self.ttl, argument="ttl", allow_zero=False, field="PublishMessage.ttl_ms"
            )

    @property
    def _key_bytes(self) -> bytes | None:
        """The routing key as sent: a str key as its UTF-8 bytes."""
        if isinstance(self.key, str):
            return self.key.encode("utf-8")
        return self.key

    @classmethod
    def from_bytes(
        cls,
        payload: bytes,
        *,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        key: bytes | str | None = None,
        delay: Duration | None = None,
        not_before: datetime | None = None,
        ttl: Duration | None = None,
    ) -> OutgoingMessage:
        """Raw bytes, with an optional custom content type."""
        return cls(
            payload,
            content_type=content_type,
            headers=headers or {},
            key=key,
            delay=delay,
            not_before=not_before,
            ttl=ttl,
        )

    @classmethod
    def from_text(
        cls,
        text: str,
        *,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        key: bytes | str | None = None,
        delay: Duration | None = None,
        not_before: datetime | None = None,
        ttl: Duration | None = None,
    ) -> OutgoingMessage:
        """Text as UTF-8, content type `text/plain; charset=utf-8` unless `content_type`
        names another."""
        if not isinstance(text, str):
            raise InvalidArgumentError(
                f"text must be a str, not {type(text).__name__}",
                argument="payload",
                reason="wrong_type",
            )
        try:
            payload = text.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidArgumentError(
                "text holds an unpaired surrogate, which has no UTF-8 form",
                argument="payload",
                reason="invalid_unicode",
            ) from None
        return cls.from_bytes(
            payload,
            content_type=TEXT_CONTENT_TYPE if content_type is None else content_type,
            headers=headers,
            key=key,
            delay=delay,
            not_before=not_before,
            ttl=ttl,
        )

    @classmethod
    def from_json(
        cls,
        value: Any,
        *,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        key: bytes | str | None = None,
        delay: Duration | None = None,
        not_before: datetime | None = None,
        ttl: Duration | None = None,
        default: Callable[[Any], Any] | None = None,
    ) -> OutgoingMessage:
        """A value as compact UTF-8 JSON, content type `application/json` unless
        `content_type` names another.

        `default` converts objects `json` cannot serialise, as in `json.dumps`.
        """
        try:
            text = json.dumps(
                value, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=default
            )
        except (TypeError, ValueError) as error:
            raise InvalidArgumentError(
                f"the value cannot be encoded as JSON: {error}",
                argument="payload",
                reason="not_json",
            ) from error
        return cls.from_bytes(
            text.encode("utf-8"),
            content_type=JSON_CONTENT_TYPE if content_type is None else content_type,
            headers=headers,
            key=key,
            delay=delay,
            not_before=not_before,
            ttl=ttl,
        )

    @classmethod
    def from_msgpack(
        cls,
        value: Any,
        *,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        key: bytes | str | None = None,
        delay: Duration | None = None,
        not_before: datetime | None = None,
        ttl: Duration | None = None,
        default: Callable[[Any], Any] | None = None,
    ) -> OutgoingMessage:
        """A value as MessagePack, content type `application/msgpack` unless `content_type`
        names another.

        `default` converts objects msgpack cannot serialise, as in `msgpack.packb`.
        """
        try:
            payload: bytes = msgpack.packb(value, use_bin_type=True, default=default)
        except (TypeError, ValueError, OverflowError) as error:
            raise InvalidArgumentError(
                f"the value cannot be encoded as MessagePack: {error}",
                argument="payload",
                reason="not_msgpack",
            ) from error
        return cls.from_bytes(
            payload,
            content_type=MSGPACK_CONTENT_TYPE if content_type is None else content_type,
            headers=headers,
            key=key,
            delay=delay,
            not_before=not_before,
            ttl=ttl,
        )
