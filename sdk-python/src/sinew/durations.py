"""Durations as the public API takes them (seconds as a number, or a `timedelta`) and as the
wire carries them (whole milliseconds in a `u64`), and the range of every duration a client
sends (sections 4.4, 7.4 and 7.5 of the specification)."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Literal, TypeAlias

from sinew.errors import InvalidArgumentError
from sinew.wire.limits import (
    MAX_DELAY_MS,
    MAX_HEARTBEAT_MS,
    MAX_LEASE_MS,
    MAX_RETENTION_AGE_MS,
    MAX_TTL_MS,
    MAX_U64,
    MIN_LEASE_MS,
)

__all__ = [
    "DURATION_RANGES",
    "Duration",
    "DurationField",
    "DurationRange",
    "datetime_to_unix_ms",
    "heartbeat_in_use",
    "is_duration_in_range",
    "to_milliseconds",
    "to_seconds",
    "unix_ms_to_datetime",
]

Duration: TypeAlias = float | int | timedelta
"""A length of time: seconds as an int or float, or a `timedelta`."""

DurationField: TypeAlias = Literal[
    "PublishMessage.ttl_ms",
    "PublishMessage.delay_ms",
    "PublishMessage.not_before_ms",
    "DeclareQueue.default_ttl_ms",
    "DeclareQueue.lease_ms",
    "NackItem.delay_ms",
    "NackItem.not_before_ms",
    "LeaseExtension.extend_ms",
    "Retention.max_age_ms",
]
"""A duration field a client sends, named as in the protocol registry."""


@dataclass(frozen=True, slots=True)
class DurationRange:
    """The range of a duration field, in milliseconds."""

    min_ms: int
    """The smallest value (for a time, 0: a time in the past means at once)."""
    max_ms: int
    """The largest value; for a time, how far after the checker's clock it may be."""
    from_now: bool = False
    """Whether the field is a unix-millisecond time rather than a duration."""


DURATION_RANGES: Mapping[DurationField, DurationRange] = MappingProxyType(
    {
        "PublishMessage.ttl_ms": DurationRange(1, MAX_TTL_MS),
        "PublishMessage.delay_ms": DurationRange(0, MAX_DELAY_MS),
        "PublishMessage.not_before_ms": DurationRange(0, MAX_DELAY_MS, from_now=True),
        "DeclareQueue.default_ttl_ms": DurationRange(1, MAX_TTL_MS),
        "DeclareQueue.lease_ms": DurationRange(MIN_LEASE_MS, MAX_LEASE_MS),
        "NackItem.delay_ms": DurationRange(0, MAX_DELAY_MS),
        "NackItem.not_before_ms": DurationRange(0, MAX_DELAY_MS, from_now=True),
        "LeaseExtension.extend_ms": DurationRange(1, MAX_LEASE_MS),
        "Retention.max_age_ms": DurationRange(1, MAX_RETENTION_AGE_MS),
    }
)
"""The range of every duration field."""


def is_duration_in_range(field: DurationField, value_ms: int, *, now_ms: int) -> bool:
    """Whether a wire value (milliseconds, or unix milliseconds for a time) is in its
    field's range; `now_ms` is the checker's clock, used only by times."""
    bounds = DURATION_RANGES[field]
    if bounds.from_now:
        return value_ms <= max(0, now_ms) + bounds.max_ms
    return bounds.min_ms <= value_ms <= bounds.max_ms


def heartbeat_in_use(announced_ms: int) -> int:
    """The heartbeat interval a client runs with when a broker announces `announced_ms`: at
    most 5 minutes, so a dead broker is noticed within 15."""
    return min(announced_ms, MAX_HEARTBEAT_MS)


def _describe_ms(milliseconds: int) -> str:
    for unit, size in (("days", 86_400_000), ("hours", 3_600_000), ("minutes", 60_000), ("seconds", 1000)):
        if milliseconds >= size and milliseconds % size == 0:
            return f"{milliseconds // size} {unit}"
    return f"{milliseconds} ms"


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


def to_milliseconds(
    value: Duration, *, argument: str, allow_zero: bool = True, field: DurationField | None = None
) -> int:
    """The duration in whole milliseconds, rounded to the nearest, as the wire carries it.
    With `field`, the result must also be in that field's range."""
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
    if field is not None and not is_duration_in_range(field, milliseconds, now_ms=0):
        bounds = DURATION_RANGES[field]
        raise InvalidArgumentError(
            f"{argument} must be {_describe_ms(bounds.min_ms) if bounds.min_ms else '0'} to "
            f"{_describe_ms(bounds.max_ms)}, got {value!r}",
            argument=argument,
            reason="out_of_range",
        )
    return milliseconds


def datetime_to_unix_ms(
    value: datetime, *, argument: str, field: DurationField | None = None
) -> int:
    """An aware datetime as unix milliseconds; a naive one is refused because whether it
    means local time or UTC cannot be told. With `field` (a time), it may be no further
    ahead of this machine's clock than the field allows."""
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
    if field is not None and not is_duration_in_range(
        field, milliseconds, now_ms=time.time_ns() // 1_000_000
    ):
        raise InvalidArgumentError(
            f"{argument} ({value.isoformat()}) is more than "
            f"{_describe_ms(DURATION_RANGES[field].max_ms)} ahead, the longest delay the "
            "protocol allows",
            argument=argument,
            reason="out_of_range",
        )
    return milliseconds


def unix_ms_to_datetime(milliseconds: int) -> datetime:
    """Unix milliseconds as an aware UTC datetime."""
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=milliseconds)
