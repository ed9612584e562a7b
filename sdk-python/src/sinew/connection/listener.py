"""`ConnectionListener`: how a connection hands pushes and its own end to its owner.

Every method runs inside the read loop and must return quickly without blocking; work that
takes time is scheduled elsewhere, so a slow consumer cannot stall the socket.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from sinew.errors import BrokerError, ConnectionLostError
from sinew.wire.messages import Deliver, GoingAway, SubscriptionClosed, Topology

if TYPE_CHECKING:
    from sinew.connection.connection import Connection

__all__ = ["ConnectionListener"]


class ConnectionListener(Protocol):
    def on_deliver(self, connection: Connection, message: Deliver) -> None:
        """Messages pushed to one of the connection's subscriptions."""

    def on_subscription_closed(self, connection: Connection, message: SubscriptionClosed) -> None:
        """The broker ended a subscription on its own."""

    def on_topology(self, connection: Connection, message: Topology) -> bool:
        """A pushed catalogue; return True when it was applied (it is then acknowledged)."""

    def on_going_away(self, connection: Connection, message: GoingAway) -> None:
        """The broker will close this connection at `deadline_at_ms`."""

    def on_unsolicited_error(self, connection: Connection, error: BrokerError) -> None:
        """An `Error` with request id 0: a failed fire-and-forget frame, or a fatal error."""

    def on_connection_lost(self, connection: Connection, error: ConnectionLostError) -> None:
        """The connection ended without `close()` being called; called once."""
