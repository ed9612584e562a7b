"""`SinewClientOptions`: everything `SinewClient.connect` needs, with documented defaults."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sinew.connection.endpoint import parse_endpoint
from sinew.durations import Duration, to_milliseconds, to_seconds
from sinew.errors import InvalidArgumentError, SinewError
from sinew.options.credentials import SinewCredentials
from sinew.options.reconnect_policy import ReconnectPolicy
from sinew.wire.limits import MAX_HEARTBEAT_MS

__all__ = ["SinewClientOptions"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SinewClientOptions:
    """How to reach the broker and how patient to be. Immutable; every field has a default.

    Durations are seconds (int or float) or `timedelta`.
    """

    endpoints: str | Sequence[str] = ("127.0.0.1:7420",)
    """Broker addresses, `host:port`, tried in order (default: `127.0.0.1:7420`)."""
    client_name: str = "sinew-python"
    """Library or application name the broker shows in its logs (default: `sinew-python`)."""
    credentials: SinewCredentials | None = None
    """Credentials for a broker that requires them (default: none)."""
    heartbeat: Duration | None = 10.0
    """Preferred heartbeat interval, at most 5 minutes (default: 10 s); the broker decides
    the interval used, taking a proposal of 1 s to 5 min and answering any other with its
    own. 0 and None leave the choice to
    the broker. The connection is declared dead after three intervals without a frame from
    the broker."""
    connect_timeout: Duration = 10.0
    """Limit for opening the connection and completing the handshake, per endpoint
    (default: 10 s)."""
    request_timeout: Duration = 30.0
    """Limit for the broker's answer to each request (default: 30 s)."""
    close_timeout: Duration = 2.0
    """How long `close()` waits for the broker to acknowledge `Goodbye` (default: 2 s)."""
    reconnect: ReconnectPolicy = field(default_factory=ReconnectPolicy)
    """Reconnection after the connection dropped (default: `ReconnectPolicy()`)."""
    on_error: Callable[[SinewError], None] | None = None
    """Called with errors that belong to no operation: a `BrokerError` the broker sent with
    request id 0 (the failure of an unconfirmed publish, or a fatal error before it closes
    the connection), and the `ConnectionLostError` of a connection that dropped. It is called
    on the event loop, scheduled on a turn of its own and never inside the connection's read
    loop, so a failing handler cannot stall the connection; what it raises is logged on the
    `sinew` logger and swallowed. Like any callback on the loop, it should return quickly
    (default: none; such errors are logged to the `sinew` logger either way)."""

    def __post_init__(self) -> None:
        endpoints = (self.endpoints,) if isinstance(self.endpoints, str) else tuple(self.endpoints)
        if not endpoints:
            raise InvalidArgumentError(
                "endpoints must name at least one broker", argument="endpoints", reason="empty"
            )
        for endpoint in endpoints:
            parse_endpoint(endpoint)
        # Frozen, so the normalised tuple goes in through object.__setattr__.
        object.__setattr__(self, "endpoints", endpoints)
        if not isinstance(self.client_name, str):
            raise InvalidArgumentError(
                f"client_name must be a str, not {type(self.client_name).__name__}",
                argument="client_name",
                reason="wrong_type",
            )
        if not self.client_name:
            raise InvalidArgumentError(
                "client_name must be a non-empty str", argument="client_name", reason="empty"
            )
        if self.credentials is not None and not isinstance(self.credentials, SinewCredentials):
            raise InvalidArgumentError(
                "credentials must be SinewCredentials", argument="credentials", reason="wrong_type"
            )
        if self.heartbeat is not None:
            heartbeat_ms = to_milliseconds(self.heartbeat, argument="heartbeat")
            if heartbeat_ms > MAX_HEARTBEAT_MS:
                raise InvalidArgumentError(
                    f"heartbeat must be at most {MAX_HEARTBEAT_MS // 1000} seconds (5 minutes), "
                    f"got {self.heartbeat!r}",
                    argument="heartbeat",
                    reason="out_of_range",
                )
        to_seconds(self.connect_timeout, argument="connect_timeout", allow_zero=False)
        to_seconds(self.request_timeout, argument="request_timeout", allow_zero=False)
        to_seconds(self.close_timeout, argument="close_timeout")
        if not isinstance(self.reconnect, ReconnectPolicy):
            raise InvalidArgumentError(
                "reconnect must be a ReconnectPolicy", argument="reconnect", reason="wrong_type"
            )
        if self.on_error is not None and not callable(self.on_error):
            raise InvalidArgumentError(
                "on_error must be callable", argument="on_error", reason="wrong_type"
            )
