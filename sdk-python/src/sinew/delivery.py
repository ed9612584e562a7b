"""`Delivery`: one received message, its metadata, payload helpers and settlement.

A manual-ack delivery is settled exactly once, by `ack`, `fail`, `retry` or `retry_after`;
`extend_lease` keeps it while work continues. Settling takes effect at the call (no `await`
needed for it to be sent): the delivery is marked settled at once and the returned future
resolves when the broker has made it durable (`SettleOk`). A failure nobody awaits is logged
once at WARNING on the `sinew` logger when the future is garbage collected, instead of
asyncio's "exception was never retrieved". Settlements issued in the same event-loop
iteration share frames. A second settlement, or any settlement of an auto-ack delivery, is
refused with `InvalidArgumentError` at the call, as are settlements after the client closed or
the delivery's connection was lost; a refusal leaves the delivery unsettled.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final

import msgpack

from sinew._core.argument_checks import require_utf8
from sinew._core.delivery_source import DeliverySource
from sinew.durations import Duration, to_milliseconds, unix_ms_to_datetime
from sinew.wire.enums import AckMode
from sinew.wire.limits import MAX_REASON_BYTES
from sinew.wire.messages import DeliveredMessage

__all__ = ["Delivery"]

_NO_HEADERS: Final[Mapping[str, str]] = MappingProxyType({})


class Delivery:
    """A message delivered to a subscription. Deliveries come from a `Subscription`; they
    cannot be constructed."""

    __slots__ = ("_message", "_settled_by", "_source", "headers", "published_at")

    headers: Mapping[str, str]
    """User headers, plus `sinew.*` metadata the broker added (dead-letter details)."""
    published_at: datetime
    """When the broker stored the message (UTC)."""

    def __init__(self) -> None:
        raise TypeError("deliveries come from a Subscription; they cannot be constructed")

    @classmethod
    def _create(cls, message: DeliveredMessage, source: DeliverySource) -> Delivery:
        delivery = cls.__new__(cls)
        delivery._message = message
        delivery._source = source
        delivery._settled_by = "auto-ack" if source.ack_mode == AckMode.AUTO else None
        delivery.headers = (
            MappingProxyType(dict(message.headers)) if message.headers else _NO_HEADERS
        )
        delivery.published_at = unix_ms_to_datetime(message.published_at_ms)
        return delivery

    _message: DeliveredMessage
    _source: DeliverySource
    _settled_by: str | None

    def __repr__(self) -> str:
        return (
            f"Delivery(topic={self.topic!r}, partition={self.partition}, offset={self.offset}, "
            f"attempt={self.attempt}, failures={self.failures}, delivery_id={self.delivery_id}, "
            f"content_type={self.content_type!r}, payload_bytes={len(self.payload)})"
        )

    # Metadata and payload

    @property
    def topic(self) -> str:
        """The queue's topic."""
        return self._source.topic

    @property
    def group(self) -> str | None:
        """The queue's group; None when ungrouped."""
        return self._source.group

    @property
    def ack_mode(self) -> AckMode:
        return self._source.ack_mode

    @property
    def delivery_id(self) -> int:
        """Session-unique id used to settle this delivery."""
        return self._message.delivery_id

    @property
    def partition(self) -> int:
        return self._message.partition

    @property
    def offset(self) -> int:
        """The message's offset in its partition."""
        return self._message.offset

    @property
    def attempt(self) -> int:
        """1 on the first delivery, one more on each redelivery."""
        return self._message.attempt

    @property
    def failures(self) -> int:
        """Failures counted for the message so far: retries, leases that ran out, and returns
        of a delivery the application was given (on unsubscribe, close or a lost connection).
        Acks, `fail` and prefetched messages returned unseen count none, so this can stay below
        `attempt - 1`. 0 when the broker does not count failures."""
        failures = self._message.failures
        return 0 if failures is None else failures

    @property
    def max_retries(self) -> int | None:
        """The queue's retry budget: the failure that takes `failures` past it dead-letters the
        message (`retries_exhausted`). None when the broker did not say."""
        return self._message.max_retries

    @property
    def is_last_attempt(self) -> bool:
        """True when the next failure dead-letters the message: `max_retries` is known and
        `failures` has reached it. A retry, an expired lease or giving the delivery back
        unsettled then sends it to the dead-letter target instead of to another consumer."""
        max_retries = self._message.max_retries
        return max_retries is not None and self.failures >= max_retries

    @property
    def payload(self) -> bytes:
        return self._message.payload

    @property
    def content_type(self) -> str | None:
        return self._message.content_type

    @property
    def is_settled(self) -> bool:
        """True once a settlement was issued, and always for auto-ack deliveries."""
        return self._settled_by is not None

    def text(self) -> str:
        """The payload decoded as UTF-8. Bytes that are not valid UTF-8 become U+FFFD (the
        replacement character), as in the C# and TypeScript clients, so this never raises;
        `payload` keeps the bytes for strict decoding (`payload.decode("utf-8")`)."""
        return self._message.payload.decode("utf-8", errors="replace")

    def json(self, **loads_options: Any) -> Any:
        """The payload parsed as JSON (`json.loads` options pass through)."""
        return json.loads(self._message.payload, **loads_options)

    def msgpack(self, **unpack_options: Any) -> Any:
        """The payload unpacked from MessagePack, with strs decoded (`msgpack.unpackb`
        options pass through)."""
        unpack_options.setdefault("raw", False)
        return msgpack.unpackb(self._message.payload, **unpack_options)

    # Settlement

    def ack(self) -> asyncio.Future[None]:
        """Done: the broker removes the message.

        Like every settlement, it takes effect at the call: the delivery counts as settled
        at once and the frame leaves with the other settlements of this event-loop
        iteration. Await the result to learn that the broker made it durable (`SettleOk`),
        or why it failed (`BrokerError`, for example `stale_delivery`)."""
        self._claim("ack")
        return self._source.ack(self.delivery_id)

    def fail(self, reason: str | None = None) -> asyncio.Future[None]:
        """Failed for good: the message is dead-lettered now (`sinew.dlq.reason`
        `terminal_nack`), keeping `reason` (at most 1024 bytes of UTF-8) as its
        `sinew.dlq.error` header. Use `retry` to have it delivered again instead."""
        _check_reason(reason)
        self._claim("fail")
        return self._source.fail(self.delivery_id, reason)

    def retry(self, reason: str | None = None) -> asyncio.Future[None]:
        """Back to ready now, for another delivery. Once the queue's `max_retries` is used up
        the message is dead-lettered instead (`retries_exhausted`), and the copy's
        `sinew.dlq.error` header holds the last `reason` given (at most 1024 bytes of UTF-8)."""
        _check_reason(reason)
        self._claim("retry")
        return self._source.retry(self.delivery_id, reason)

    def retry_after(self, delay: Duration, reason: str | None = None) -> asyncio.Future[None]:
        """Back to ready, not delivered again before `delay` (seconds or timedelta, at most
        3650 days) has passed, measured by the broker's clock; `reason` is kept as with
        `retry`."""
        delay_ms = to_milliseconds(delay, argument="delay", field="NackItem.delay_ms")
        _check_reason(reason)
        self._claim("retry_after")
        return self._source.retry(self.delivery_id, reason, delay_ms)

    def extend_lease(self, by: Duration | None = None) -> asyncio.Future[None]:
        """Keep the delivery: its lease restarts now and lasts `by`, at most 12 hours
        (default: the queue's lease). Does not settle it; sent at the call, like the settlements."""
        extend_ms = (
            None
            if by is None
            else to_milliseconds(
                by, argument="by", allow_zero=False, field="LeaseExtension.extend_ms"
            )
        )
        self._source.check_settleable("extend_lease", self.delivery_id, self._settled_by)
        return self._source.extend_lease(self.delivery_id, extend_ms)

    def _claim(self, action: str) -> None:
        self._source.check_settleable(action, self.delivery_id, self._settled_by)
        self._settled_by = action


def _check_reason(reason: str | None) -> None:
    # Checked before the delivery is claimed, so a refused reason leaves it unsettled.
    if reason is not None:
        require_utf8(reason, argument="reason", max_bytes=MAX_REASON_BYTES)
