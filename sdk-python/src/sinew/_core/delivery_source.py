"""`DeliverySource`: what the deliveries of one subscription share. Their queue and ack mode,
the connection they arrived on (a delivery settles on that connection or not at all), the
client, whose closing ends every settlement, and the subscription's handed-out set, which a
settlement leaves at the call.
"""

from __future__ import annotations

import asyncio

from sinew._core.client_core import ClientCore
from sinew._core.handed_out import HandedOut
from sinew.connection.connection import Connection
from sinew.errors import ClientClosedError, ConnectionLostError, InvalidArgumentError
from sinew.wire.enums import AckMode
from sinew.wire.messages import LeaseExtension, NackItem

__all__ = ["DeliverySource"]


class DeliverySource:
    __slots__ = ("_connection", "_core", "_handed_out", "ack_mode", "group", "topic")

    def __init__(
        self,
        core: ClientCore,
        connection: Connection,
        *,
        topic: str,
        group: str | None,
        ack_mode: AckMode,
        handed_out: HandedOut,
    ) -> None:
        self._core = core
        self._connection = connection
        self._handed_out = handed_out
        self.topic = topic
        self.group = group
        self.ack_mode = ack_mode

    def check_settleable(self, action: str, delivery_id: int, settled_by: str | None) -> None:
        """Raise, before anything is sent, when delivery `delivery_id` cannot take `action`:
        an auto-ack delivery, one already settled (`settled_by` names how), a closed client,
        or a connection that is gone."""
        if self.ack_mode == AckMode.AUTO:
            raise InvalidArgumentError(
                f"cannot {action} delivery {delivery_id}: it arrived on an auto-ack "
                "subscription, so the broker settled it when sending it",
                argument="ack_mode",
                reason="auto_ack",
            )
        if settled_by is not None:
            raise InvalidArgumentError(
                f"cannot {action} delivery {delivery_id}: it was already settled with "
                f"{settled_by}",
                argument="delivery",
                reason="already_settled",
            )
        if self._core.is_closed:
            raise ClientClosedError(f"cannot {action} delivery {delivery_id}: the client is closed")
        if not self._connection.is_open:
            raise ConnectionLostError(
                f"cannot {action} delivery {delivery_id}: the connection it arrived on "
                "was lost, so the broker will deliver the message again",
                endpoint=str(self._connection.endpoint),
            )

    # Each queues its frame at the call; the future resolves with the broker's `SettleOk`. A
    # settlement leaves the handed-out set at once: its frame reaches the broker before any
    # later `Unsubscribe` or `Goodbye`, so the delivery is no longer held when those are read.

    def ack(self, delivery_id: int) -> asyncio.Future[None]:
        self._handed_out.pop(delivery_id, None)
        return self._connection.settler.ack(delivery_id)

    def fail(self, delivery_id: int, reason: str | None) -> asyncio.Future[None]:
        self._handed_out.pop(delivery_id, None)
        return self._connection.settler.nack(
            NackItem(delivery_id=delivery_id, requeue=False, reason=reason)
        )

    def retry(
        self, delivery_id: int, reason: str | None, delay_ms: int | None = None
    ) -> asyncio.Future[None]:
        self._handed_out.pop(delivery_id, None)
        return self._connection.settler.nack(
            NackItem(delivery_id=delivery_id, requeue=True, delay_ms=delay_ms, reason=reason)
        )

    def extend_lease(self, delivery_id: int, extend_ms: int | None) -> asyncio.Future[None]:
        return self._connection.settler.extend_lease(
            LeaseExtension(delivery_id=delivery_id, extend_ms=extend_ms)
        )
