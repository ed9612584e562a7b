"""`ConnectionListener`: how a connection hands its owner the pushes that belong to no
subscription, and its own end. Subscription pushes go to `SubscriptionSink`s instead.

Every method runs inside the read loop and must return quickly without blocking; work that
takes time is scheduled elsewhere, so a slow consumer cannot stall the socket.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from sinew.errors import BrokerError, ConnectionLostError
from sinew.wire.messages import GoingAway, Topology

__all__ = ["ConnectionListener"]

# The connection type is a parameter, so that this module need not import the connection
# module, which imports it.
_Connection = TypeVar("_Connection", contravariant=True)


class ConnectionListener(Protocol[_Connection]):
    def on_topology(self, connection: _Connection, message: Topology) -> bool:
        """A pushed catalogue; return True when it was applied (it is then acknowledged)."""

    def on_going_away(self, connection: _Connection, message: GoingAway) -> None:
        """The broker will close this connection at `deadline_at_ms`."""

    def on_unsolicited_error(self, connection: _Connection, error: BrokerError) -> None:
        """An `Error` with request id 0: a failed fire-and-forget frame, or a fatal error."""

    def on_connection_lost(self, connection: _Connection, error: ConnectionLostError) -> None:
        """The connection ended without `close()` being called; called once, after every
        subscription sink was told."""
