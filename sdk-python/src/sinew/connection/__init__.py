"""The connection engine: one TCP connection to a broker and everything that runs on it.

`Connection` performs the handshake, correlates replies with requests by id, runs the read
loop, the coalescing write path and heartbeats, and closes cleanly; it routes each broker
subscription's pushes to the `SubscriptionSink` registered for it; `Settler` batches
settlements; `ConnectionListener` is how the other pushes and the connection's end reach its
owner.
"""

from __future__ import annotations

from sinew.connection.connection import Connection
from sinew.connection.endpoint import DEFAULT_PORT, Endpoint, parse_endpoint
from sinew.connection.listener import ConnectionListener
from sinew.connection.settings import ConnectionSettings
from sinew.connection.settler import Settler
from sinew.connection.subscription_sink import SubscriptionSink

__all__ = [
    "DEFAULT_PORT",
    "Connection",
    "ConnectionListener",
    "ConnectionSettings",
    "Endpoint",
    "Settler",
    "SubscriptionSink",
    "parse_endpoint",
]
