"""The errors a lost connection gives: why it ended, and what each operation it interrupted
raises. The root cause (a fatal broker error, a protocol error) is kept as `__cause__`."""

from __future__ import annotations

from sinew.errors import BrokerError, ConnectionLostError, SinewError

__all__ = ["disconnect_reason", "interrupted_error"]


def disconnect_reason(
    what: str, *, endpoint: str, fatal_error: BrokerError | None
) -> ConnectionLostError:
    """Why the connection ended: `what` happened, unless the broker had announced a fatal
    error before closing, which is then the reason."""
    if fatal_error is not None:
        error = ConnectionLostError(
            f"{endpoint} closed the connection after an error: "
            f"{fatal_error.code}: {fatal_error.broker_message}",
            endpoint=endpoint,
        )
        error.__cause__ = fatal_error
        return error
    return ConnectionLostError(f"{what} ({endpoint})", endpoint=endpoint)


def interrupted_error(
    context: str, *, endpoint: str, end_reason: SinewError | None
) -> ConnectionLostError:
    """The error of an operation (`context`) that the end of the connection interrupted."""
    detail = end_reason.message if end_reason is not None else "the connection was lost"
    error = ConnectionLostError(
        f"{context}: the connection was lost ({detail}); it was not replayed",
        endpoint=endpoint,
    )
    if isinstance(end_reason, ConnectionLostError) and end_reason.__cause__ is not None:
        error.__cause__ = end_reason.__cause__
    else:
        error.__cause__ = end_reason
    return error
