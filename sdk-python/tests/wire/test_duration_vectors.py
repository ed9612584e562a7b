"""Duration ranges, the heartbeat a client may propose and the heartbeat it runs with, against
wire-vectors/durations.json."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import pytest
from vector_support import TALLY, duration_vectors, registry

from sinew.durations import (
    DURATION_RANGES,
    DurationField,
    heartbeat_in_use,
    is_duration_in_range,
    to_milliseconds,
)
from sinew.errors import InvalidArgumentError
from sinew.options.client_options import SinewClientOptions


def _id(case: dict[str, Any]) -> str:
    vector_id: str = case["id"]
    return vector_id


NOW_MS = int(duration_vectors()["now_ms"])


def test_every_duration_field_has_the_vector_range() -> None:
    fields = duration_vectors()["fields"]
    assert sorted(entry["field"] for entry in fields) == sorted(DURATION_RANGES)
    for entry in fields:
        bounds = DURATION_RANGES[cast(DurationField, entry["field"])]
        assert bounds.max_ms == int(entry["max"]) == registry()["limits"][entry["max_limit"]]
        assert bounds.from_now == entry["from_now"]
        if not entry["from_now"]:
            assert bounds.min_ms == int(entry["min"])


@pytest.mark.parametrize("case", duration_vectors()["durations"], ids=_id)
def test_duration_is_accepted_or_refused_as_the_vector_says(case: dict[str, Any]) -> None:
    field = cast(DurationField, case["field"])
    value = int(case["value"])
    assert case["reason"] == (None if case["valid"] else "out_of_range")
    assert is_duration_in_range(field, value, now_ms=NOW_MS) == case["valid"]
    if not DURATION_RANGES[field].from_now:
        # The public API takes seconds or a timedelta; the same range applies once converted.
        given = timedelta(milliseconds=value) if value < 2**53 else value / 1000
        if case["valid"]:
            assert to_milliseconds(given, argument="value", field=field) == value
        else:
            with pytest.raises(InvalidArgumentError) as caught:
                to_milliseconds(given, argument="value", field=field)
            assert caught.value.reason == "out_of_range"
    TALLY.durations += 1


@pytest.mark.parametrize("case", duration_vectors()["heartbeats"], ids=_id)
def test_a_client_proposes_a_heartbeat_only_where_the_vector_allows(case: dict[str, Any]) -> None:
    if case["proposed"] is not None:
        heartbeat = int(case["proposed"]) / 1000
        if case["sendable"]:
            SinewClientOptions(heartbeat=heartbeat)
        else:
            with pytest.raises(InvalidArgumentError) as caught:
                SinewClientOptions(heartbeat=heartbeat)
            assert caught.value.reason == "out_of_range"
    TALLY.heartbeats += 1


@pytest.mark.parametrize("case", duration_vectors()["hello_ok_heartbeats"], ids=_id)
def test_a_client_runs_with_the_heartbeat_the_vector_says(case: dict[str, Any]) -> None:
    assert heartbeat_in_use(int(case["announced"])) == int(case["used"])
    TALLY.heartbeats += 1
