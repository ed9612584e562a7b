"""`SubscriptionSink`: where a connection hands the pushes of one broker subscription.

The owner of a broker subscription registers a sink under its subscription id with
`Connection.add_sink` as the `SubscribeOk` is dispatched, before any `Deliver` for it can be.
The connection then routes each `Deliver` and `SubscriptionClosed` to that sink itself, and
tells every sink still registered when a delivery turns out stale and when the connection
ends. Every method runs inside the read loop and must return quickly without blocking.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sinew.errors import SinewError
from sinew.wire.enums import CloseReason
from sinew.wire.messages import DeliveredMessage

__all__ = ["SubscriptionSink"]


class SubscriptionSink(Protocol):
    def deliver(self, subscription_id: int, messages: Sequence[DeliveredMessage]) -> None:
        """Messages the broker pushed to the broker subscription `subscription_id`."""

    def closed_by_broker(self, subscription_id: int, reason: CloseReason, message: str) -> None:
        """The broker ended the broker subscription on its own; the sink is already
        unregistered."""

    def delivery_gone(self, delivery_id: int) -> None:
        """The broker no longer holds delivery `delivery_id` (a settlement of it was answered
        `stale_delivery`). Every sink hears of it, since a delivery id does not say which
        subscription it belongs to; a sink that never had it ignores it."""

    def connection_ended(self, error: SinewError, *, by_client: bool) -> None:
        """The connection ended (`by_client`: because the client closed it); called once for
        every subscription id the sink was still registered under."""
