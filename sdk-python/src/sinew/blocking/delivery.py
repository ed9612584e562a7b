"""The blocking `Delivery`: the asyncio `Delivery` with its settlements made blocking: each
returns once the broker has made the settlement durable."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from sinew.blocking.event_loop_thread import EventLoopThread
from sinew.delivery import Delivery as AsyncDelivery
from sinew.durations import Duration
from sinew.wire.enums import AckMode

__all__ = ["Delivery"]


class Delivery:
    """A message delivered to a subscription; see `sinew.Delivery` for the semantics."""

    __slots__ = ("_inner", "_loop")

    def __init__(self, inner: AsyncDelivery, loop: EventLoopThread) -> None:
        self._inner = inner
        self._loop = loop

    def __repr__(self) -> str:
        return repr(self._inner)

    @property
    def delivery_id(self) -> int:
        return self._inner.delivery_id

    @property
    def partition(self) -> int:
        return self._inner.partition

    @property
    def offset(self) -> int:
        return self._inner.offset

    @property
    def attempt(self) -> int:
        return self._inner.attempt

    @property
    def failures(self) -> int:
        """Failures counted so far; see `sinew.Delivery.failures`."""
        return self._inner.failures

    @property
    def max_retries(self) -> int | None:
        """The queue's retry budget, None when the broker did not say; see
        `sinew.Delivery.max_retries`."""
        return self._inner.max_retries

    @property
    def is_last_attempt(self) -> bool:
        """True when the next failure dead-letters the message; see
        `sinew.Delivery.is_last_attempt`."""
        return self._inner.is_last_attempt

    @property
    def payload(self) -> bytes:
        return self._inner.payload

    @property
    def content_type(self) -> str | None:
        return self._inner.content_type

    @property
    def headers(self) -> Mapping[str, str]:
        return self._inner.headers

    @property
    def published_at(self) -> datetime:
        return self._inner.published_at

    @property
    def topic(self) -> str:
        return self._inner.topic

    @property
    def group(self) -> str | None:
        return self._inner.group

    @property
    def ack_mode(self) -> AckMode:
        return self._inner.ack_mode

    @property
    def is_settled(self) -> bool:
        return self._inner.is_settled

    def text(self) -> str:
        """The payload decoded as UTF-8, invalid bytes as U+FFFD; see `sinew.Delivery.text`."""
        return self._inner.text()

    def json(self, **loads_options: Any) -> Any:
        return self._inner.json(**loads_options)

    def msgpack(self, **unpack_options: Any) -> Any:
        return self._inner.msgpack(**unpack_options)

    def ack(self) -> None:
        self._loop.run(_settle(self._inner.ack))

    def fail(self, reason: str | None = None) -> None:
        self._loop.run(_settle(self._inner.fail, reason))

    def retry(self, reason: str | None = None) -> None:
        self._loop.run(_settle(self._inner.retry, reason))

    def retry_after(self, delay: Duration, reason: str | None = None) -> None:
        self._loop.run(_settle(self._inner.retry_after, delay, reason))

    def extend_lease(self, by: Duration | None = None) -> None:
        self._loop.run(_settle(self._inner.extend_lease, by))


async def _settle(action: Callable[..., Awaitable[None]], *arguments: Any) -> None:
    # The asyncio settlements act at the call, so the call itself must run on the loop.
    await action(*arguments)
