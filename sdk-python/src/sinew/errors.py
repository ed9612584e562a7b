"""The client's errors: `SinewError` and its leaves, each with a stable code and fields.

Every error carries `code` (a stable string) and `is_retryable`. `BrokerError` reports an
`Error` frame (or a failed settlement item) and also carries the broker's numeric code
(`broker_code`) and `details`; `broker_error` builds one from a code and writes a message
that says what to do.

Three leaves also derive from the matching builtin, so generic handlers catch them:
`SinewConnectionError` is a `builtins.ConnectionError`, `OperationTimeoutError` a
`TimeoutError` and `InvalidArgumentError` a `ValueError`. The connection error carries the
`Sinew` prefix, unlike its `ConnectionError` namesakes in the C# and TypeScript clients, so
that importing it never shadows the builtin.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final, NamedTuple

from sinew.wire.errors import ErrorCode, error_code_info

__all__ = [
    "UNKNOWN_BROKER_CODE",
    "BrokerError",
    "ClientClosedError",
    "ConnectionFailure",
    "ConnectionLostError",
    "InvalidArgumentError",
    "OperationTimeoutError",
    "ProtocolError",
    "SinewConnectionError",
    "SinewError",
    "SubscriptionEndReason",
    "SubscriptionEndedError",
    "broker_error",
]

_EMPTY: Final[Mapping[str, str]] = MappingProxyType({})


class SinewError(Exception):
    """Base of every error the client raises.

    `code` is stable across the C#, TypeScript and Python clients; `is_retryable` says
    whether the same call may succeed later without change.
    """

    code: str
    is_retryable: bool
    message: str

    def __init__(self, message: str, *, code: str, retryable: bool) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.is_retryable = retryable


UNKNOWN_BROKER_CODE: Final = "unknown"
"""`BrokerError.code` for an error code this client does not know (`broker_code` has it)."""


class BrokerError(SinewError):
    """The broker refused a request with an `Error` frame, or failed one settlement item.

    `code` is the protocol name of the error (`not_found`, `conflict`, ...), or `"unknown"`
    for a code this client does not know; `broker_code` is the number the broker sent, and
    `details` the machine-readable context (`field`, `reason`, `topic`, ...).
    """

    broker_code: int
    details: Mapping[str, str]
    broker_message: str

    def __init__(
        self,
        message: str,
        *,
        broker_code: int,
        retryable: bool,
        broker_message: str = "",
        details: Mapping[str, str] | None = None,
    ) -> None:
        info = error_code_info(broker_code)
        super().__init__(
            message, code=info.name if info else UNKNOWN_BROKER_CODE, retryable=retryable
        )
        self.broker_code = broker_code
        self.broker_message = broker_message
        self.details = MappingProxyType(dict(details)) if details else _EMPTY


class ConnectionFailure(NamedTuple):
    """One endpoint a connect or reconnect tried, and why it failed there."""

    endpoint: str
    """The endpoint as `host:port`."""
    error: SinewError
    """Why connecting to it failed: a `SinewConnectionError` (refused, timed out, not a Sinew
    broker) or a retryable `BrokerError`."""


class SinewConnectionError(SinewError, builtins.ConnectionError):
    """No connection could be made or its handshake did not complete: refused, timed out,
    or the peer is not a Sinew broker. (`ConnectionError` in the other Sinew clients.)

    `failures` lists each endpoint tried with the error it gave, in the order tried (every
    attempt of a reconnect); it is empty when the failure concerns one connection's
    handshake rather than a choice of endpoints.
    """

    failures: tuple[ConnectionFailure, ...]

    def __init__(self, message: str, *, failures: tuple[ConnectionFailure, ...] = ()) -> None:
        super().__init__(message, code="connection_failed", retryable=True)
        self.failures = failures


class ConnectionLostError(SinewError):
    """The connection dropped while the operation was in flight; it is not replayed.

    Whether it took effect is unknown: a publish may have been stored, a settlement applied.
    `endpoint` is the endpoint whose connection dropped (`host:port`), or None when no
    connection was involved (reconnecting is disabled and the connection was already gone).
    """

    endpoint: str | None

    def __init__(self, message: str, *, endpoint: str | None = None) -> None:
        super().__init__(message, code="connection_lost", retryable=True)
        self.endpoint = endpoint


class ClientClosedError(SinewError):
    """The client, or the handle used, was closed."""

    def __init__(self, message: str = "the client is closed") -> None:
        super().__init__(message, code="client_closed", retryable=False)


class OperationTimeoutError(SinewError, TimeoutError):
    """No answer arrived within the time allowed (the request timeout, or the timeout
    given to the call). The request may or may not have taken effect.

    `timeout` is the time limit that expired, in seconds, or None when not known."""

    timeout: float | None

    def __init__(self, message: str, *, timeout: float | None = None) -> None:
        super().__init__(message, code="timeout", retryable=True)
        self.timeout = timeout


class InvalidArgumentError(SinewError, ValueError):
    """The client refused the call before sending anything.

    `argument` names the parameter at fault (`topic`, `headers`, `prefetch`, ...) and
    `reason` the rule it broke as a stable snake_case word, using the broker's reason names
    where one exists (`reserved_prefix`, `too_long`, `out_of_range`, `already_settled`).
    """

    argument: str
    reason: str

    def __init__(self, message: str, *, argument: str, reason: str) -> None:
        super().__init__(message, code="invalid_argument", retryable=False)
        self.argument = argument
        self.reason = reason


class ProtocolError(SinewError):
    """The broker sent something the protocol forbids; the connection is closed."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="protocol_error", retryable=False)


class SubscriptionEndReason(StrEnum):
    """Why a subscription ended other than by its own `close()`.

    The first six are the broker's close reasons (`SubscriptionClosed.reason`).
    """

    SERVER_SHUTDOWN = "server_shutdown"
    DELETED = "deleted"
    QUARANTINED = "quarantined"
    RECONCILE_CLOSED = "reconcile_closed"
    CURSOR_TAKEN_OVER = "cursor_taken_over"
    INTERNAL = "internal"
    CONNECTION_LOST = "connection_lost"
    CLIENT_CLOSED = "client_closed"

    @property
    def is_retryable(self) -> bool:
        """Whether subscribing again may work without anything changing: the broker is
        restarting, the session was not kept, or the connection dropped."""
        return self in _RETRYABLE_END_REASONS


_RETRYABLE_END_REASONS: Final = frozenset(
    {
        SubscriptionEndReason.SERVER_SHUTDOWN,
        SubscriptionEndReason.RECONCILE_CLOSED,
        SubscriptionEndReason.CONNECTION_LOST,
    }
)


class SubscriptionEndedError(SinewError):
    """Iteration over a subscription that ended for a reason other than its own `close()`.

    `code` is the reason's value; deliveries that had already arrived are handed out
    before this is raised.
    """

    reason: SubscriptionEndReason

    def __init__(self, message: str, *, reason: SubscriptionEndReason) -> None:
        super().__init__(message, code=reason.value, retryable=reason.is_retryable)
        self.reason = reason


_ADVICE: Final[Mapping[ErrorCode, str]] = MappingProxyType(
    {
        ErrorCode.BAD_FRAME: "the broker could not decode a frame; this is a client bug, "
        "please report it",
        ErrorCode.PROTOCOL_MISMATCH: "the broker speaks no protocol version this client "
        "speaks; upgrade the client or the broker",
        ErrorCode.PROTOCOL_VIOLATION: "the broker saw a frame the protocol forbids at this "
        "point; this is a client bug, please report it",
        ErrorCode.FRAME_TOO_LARGE: "split the batch or shrink the payload",
        ErrorCode.UNKNOWN_OP: "the broker is older than this client and does not know the "
        "operation",
        ErrorCode.UNAUTHORIZED: "check the credentials in SinewClientOptions.credentials",
        ErrorCode.INVALID: "fix the argument the details name",
        ErrorCode.NOT_FOUND: "declare it first with declare_queue",
        ErrorCode.CONFLICT: "it already exists with other settings; declare it with the "
        "same settings or use another name",
        ErrorCode.STALE_DELIVERY: "the delivery is no longer held (already settled, or its "
        "lease expired); the message may be delivered again, so keep handlers idempotent",
        ErrorCode.REDIRECT: "the client's routing was stale and has been dropped; retry, and "
        "the route is learned again",
        ErrorCode.RESOURCE_EXHAUSTED: "a broker limit was reached; retry with backoff",
        ErrorCode.UNAVAILABLE: "the broker cannot serve this right now; retry with backoff",
        ErrorCode.QUARANTINED: "the partition is parked until an operator repairs it",
        ErrorCode.TIMEOUT: "the broker gave up waiting; it may or may not have taken "
        "effect, and a retry with an idempotency key is safe",
        ErrorCode.INTERNAL: "the broker failed unexpectedly; see its logs",
    }
)


def broker_error(
    broker_code: int,
    *,
    retryable: bool | None = None,
    broker_message: str = "",
    details: Mapping[str, str] | None = None,
    context: str | None = None,
) -> BrokerError:
    """Build the `BrokerError` for an error code.

    `retryable` is the flag the broker sent, which is authoritative; when None (a settlement
    failure carries only a code) the specification's value for the code is used, and
    unknown codes count as not retryable. `context` names the operation, e.g.
    `declare_queue('orders')`.
    """
    info = error_code_info(broker_code)
    name = info.name if info else f"error code {broker_code} (unknown to this client)"
    if retryable is None:
        retryable = info.retryable if info else False
    parts = [f"{context} failed: " if context else "", name]
    if broker_message:
        parts.append(f": {broker_message}")
    if info is not None:
        parts.append(f" ({_ADVICE[info.code]})")
    if details:
        listed = ", ".join(f"{key}={value}" for key, value in sorted(details.items()))
        parts.append(f" [{listed}]")
    return BrokerError(
        "".join(parts),
        broker_code=broker_code,
        retryable=retryable,
        broker_message=broker_message,
        details=details,
    )
