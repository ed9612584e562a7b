"""`ConnectionSettings`: what one connection needs, resolved from the client's options."""

from __future__ import annotations

from dataclasses import dataclass, field

from sinew.wire.messages import Auth

__all__ = ["ConnectionSettings"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionSettings:
    client_name: str
    client_version: str
    credentials: Auth | None = field(default=None, repr=False)
    """Left out of `repr`, which would show the secret."""
    heartbeat_ms: int | None = None
    """Preferred heartbeat interval sent in `Hello`; None lets the broker choose."""
    connect_timeout: float = 10.0
    """Seconds for the TCP connect and the handshake together."""
    request_timeout: float = 30.0
    """Seconds a request waits for its reply."""
