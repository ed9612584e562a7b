"""`SubscriptionRoutes`: a connection's table of subscription sinks, by broker subscription
id. The read loop hands each `Deliver` and `SubscriptionClosed` to the sink registered for its
subscription, and a stale delivery and the end of the connection to every sink still
registered.

A sink that raises is logged and does not stop the read loop.
"""

from __future__ import annotations

import logging

from sinew.connection.subscription_sink import SubscriptionSink
from sinew.errors import SinewError
from sinew.wire.messages import Deliver, SubscriptionClosed

__all__ = ["SubscriptionRoutes"]

_log = logging.getLogger("sinew.connection")


class SubscriptionRoutes:
    def __init__(self) -> None:
        self._sinks: dict[int, SubscriptionSink] = {}

    def __len__(self) -> int:
        return len(self._sinks)

    def add(self, subscription_id: int, sink: SubscriptionSink) -> None:
        self._sinks[subscription_id] = sink

    def remove(self, subscription_id: int) -> None:
        self._sinks.pop(subscription_id, None)

    def deliver(self, message: Deliver) -> None:
        sink = self._sinks.get(message.subscription_id)
        if sink is None:
            # A subscription just closed or given up: the broker had sent these already.
            _log.debug("dropped a delivery for unknown subscription %d", message.subscription_id)
            return
        try:
            sink.deliver(message.subscription_id, message.messages)
        except Exception:
            _log.exception("a subscription sink failed on Deliver")

    def closed_by_broker(self, message: SubscriptionClosed) -> None:
        sink = self._sinks.pop(message.subscription_id, None)
        if sink is None:
            return
        try:
            sink.closed_by_broker(message.subscription_id, message.reason, message.message)
        except Exception:
            _log.exception("a subscription sink failed on SubscriptionClosed")

    def delivery_gone(self, delivery_id: int) -> None:
        """Tell every sink that the broker no longer holds `delivery_id`. Rare (a settlement
        answered `stale_delivery`), so the sinks are simply walked."""
        # A sink registered under several subscription ids hears it once.
        for sink in {id(sink): sink for sink in self._sinks.values()}.values():
            try:
                sink.delivery_gone(delivery_id)
            except Exception:
                _log.exception("a subscription sink failed on a stale delivery")

    def end_all(self, error: SinewError, *, by_client: bool) -> None:
        """Tell every registered sink that the connection ended, and forget them."""
        sinks, self._sinks = self._sinks, {}
        for sink in sinks.values():
            try:
                sink.connection_ended(error, by_client=by_client)
            except Exception:
                _log.exception("a subscription sink failed as the connection ended")
