"""`ServerInfo` and `BrokerLimits`: what the client knows about the broker of its current
connection, from the handshake."""

from __future__ import annotations

from dataclasses import dataclass


__all__ = ["BrokerLimits", "ServerInfo"]


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerLimits:
    """The limits a broker announced for a session. The client checks them before sending,
    so a call that would break one fails with `InvalidArgumentError`, not a broker error."""

    max_frame_bytes: int
    """The largest frame body either side may send, in bytes."""
    max_batch_messages: int
    """The most messages in one `publish_batch`."""
    max_headers: int
    """The most headers on one message."""
    max_prefetch: int
    """The largest `SubscribeOptions.prefetch`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerInfo:
    """The broker and session of the client's current connection, as the broker announced
    them in the handshake. A reconnection brings a new session and a new `ServerInfo`."""

    endpoint: str
    """The address connected to, as `host:port`."""
    server_id: str
    """The broker's stable id (the same after the broker restarts on the same data)."""
    server_version: str
    """The broker's software version."""
    session_id: str
    """This session's id."""
    protocol_version: int
    """The negotiated protocol version."""
    heartbeat: float
    """The heartbeat interval both sides use, in seconds; 0 when heartbeats are off."""
    limits: BrokerLimits
