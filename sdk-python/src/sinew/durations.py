"""Durations as the public API takes them (seconds as a number, or a `timedelta`) and as the
wire carries them (whole milliseconds in a `u64`)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import TypeAlias

from sinew.errors import InvalidArgumentError
from sinew.wire.limits import MAX_U64

__all__ = [
    "Duration",
    "datetime_to_unix_ms",
    "to_milliseconds",
    "to_seconds",
    "unix_ms_to_datetime",
]

Duration: TypeAlias = float | int | timedelta
"""A length of time: seconds as an int or float, or a `timedelta`."""


def to_seconds(value: Duration, *, argument: str, allow_zero: bool = True) -> float:
    """The duration in seconds; raises `InvalidArgumentError` for a value that is not a
    finite, non-negative duration (or zero when `allow_zero` is false)."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgumentError(
            f"{argument} must be seconds (int or float) or a timedelta, not {type(value).__name__}",
            argument=argument,
            reason="wrong_type",
        )
    else:
        seconds = float(value)
    if math.isnan(seconds):
        # Not a number at all, which every Sinew client calls the wrong type.
        raise InvalidArgumentError(
            f"{argument} must be a number of seconds, not NaN", argument=argument, reason="wrong_type"
        )
    if not math.isfinite(seconds) or seconds < 0 or (seconds == 0 and not allow_zero):
        bound = "at least 0" if allow_zero else "greater than 0"
        raise InvalidArgumentError(
            f"{argument} must be a finite duration {bound}, got {value!r}",
            argument=argument,
            reason="out_of_range",
        )
    return seconds


def to_milliseconds(value: Duration, *, argument: str, allow_zero: bool = True) -> int:
    """The duration in whole milliseconds, rounded to the nearest, as the wire carries it."""
    if isinstance(value, timedelta):
        # Exact integer arithmetic: total_seconds() would lose microseconds on long spans.
        seconds = to_seconds(value, argument=argument, allow_zero=allow_zero)
        milliseconds = (value // timedelta(microseconds=1) + 500) // 1000
    else:
        seconds = to_seconds(value, argument=argument, allow_zero=allow_zero)
        milliseconds = round(seconds * 1000)
    if milliseconds == 0 and seconds > 0:
        # A positive duration below half a millisecond still means "some time", not "none".
        milliseconds = 1
    if milliseconds > MAX_U64:
        raise InvalidArgumentError(
            f"{argument} is too long to send", argument=argument, reason="out_of_range"
        )
    return milliseconds


def datetime_to_unix_ms(value: datetime, *, argument: str) -> int:
    """An aware datetime as unix milliseconds; a naive one is refused because whether it
    means local time or UTC cannot be told."""
    if not isinstance(value, datetime):
        raise InvalidArgumentError(
            f"{argument} must be a datetime, not {type(value).__name__}",
            argument=argument,
            reason="wrong_type",
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidArgumentError(
            f"{argument} must be timezone-aware, e.g. datetime.now(timezone.utc)",
            argument=argument,
            reason="wrong_type",
        )
    milliseconds = round(value.timestamp() * 1000)
    if milliseconds < 0:
        raise InvalidArgumentError(
            f"{argument} is before 1970-01-01", argument=argument, reason="out_of_range"
        )
    return milliseconds


def unix_ms_to_datetime(milliseconds: int) -> datetime:
    """Unix milliseconds as an aware UTC datetime."""
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=milliseconds)
