"""Name, header-key and group rules against wire-vectors/names.json."""

from __future__ import annotations

from typing import Any

import pytest
from vector_support import TALLY, name_vectors

from sinew.naming import NameViolation, normalise_group, validate_header_key, validate_name
from sinew.wire.limits import MAX_PRODUCER_ID_BYTES


def _id(case: dict[str, Any]) -> str:
    vector_id: str = case["id"]
    return vector_id


@pytest.mark.parametrize("case", name_vectors()["names"], ids=_id)
def test_validate_name_agrees_with_the_vector(case: dict[str, Any]) -> None:
    assert case["valid"] == (case["reason"] is None)
    reason = validate_name(case["value"])
    assert reason == case["reason"]
    assert reason is None or isinstance(reason, NameViolation)
    TALLY.names += 1


@pytest.mark.parametrize("case", name_vectors()["names"], ids=_id)
def test_producer_ids_follow_the_name_rules_with_a_shorter_limit(case: dict[str, Any]) -> None:
    value: str = case["value"]
    expected = case["reason"]
    # Length is the second check; only `empty` comes before it.
    if len(value.encode("utf-8")) > MAX_PRODUCER_ID_BYTES:
        expected = NameViolation.TOO_LONG
    assert validate_name(value, producer_id=True) == expected


@pytest.mark.parametrize("case", name_vectors()["header_keys"], ids=_id)
def test_validate_header_key_agrees_with_the_vector(case: dict[str, Any]) -> None:
    assert case["allowed"] == (case["reason"] is None)
    assert validate_header_key(case["key"]) == case["reason"]
    TALLY.header_keys += 1


@pytest.mark.parametrize("case", name_vectors()["groups"], ids=_id)
def test_normalise_group_agrees_with_the_vector(case: dict[str, Any]) -> None:
    assert normalise_group(case["group"]) == case["normalised"]
    TALLY.groups += 1


# No vector carries an unpaired surrogate (JSON parsers disagree on such escapes), so these
# cases are pinned here. A Python str can hold one, for instance after decoding bytes with
# errors="surrogateescape"; a surrogate pair written as two code points is no better, since
# in Python it is two unpaired surrogates rather than one character.
UNPAIRED_SURROGATES = ["\ud800", "orders\udc80", "\ud83d\ude00", "a\udfffb"]


@pytest.mark.parametrize("value", UNPAIRED_SURROGATES, ids=ascii)
def test_a_name_with_an_unpaired_surrogate_is_invalid_unicode(value: str) -> None:
    assert validate_name(value) == NameViolation.INVALID_UNICODE
    assert validate_name(value, producer_id=True) == NameViolation.INVALID_UNICODE


@pytest.mark.parametrize("value", UNPAIRED_SURROGATES, ids=ascii)
def test_a_header_key_with_an_unpaired_surrogate_is_invalid_unicode(value: str) -> None:
    assert validate_header_key(value) == NameViolation.INVALID_UNICODE


def test_invalid_unicode_is_checked_before_length_and_characters() -> None:
    # Each of these also breaks a later rule; the surrogate must decide.
    too_long_too = "\ud800" + "a" * 300
    assert validate_name(too_long_too) == NameViolation.INVALID_UNICODE
    assert validate_name("$\ud800") == NameViolation.INVALID_UNICODE
    assert validate_name("a b\ud800") == NameViolation.INVALID_UNICODE
    assert validate_header_key("sinew.\ud800") == NameViolation.INVALID_UNICODE
    assert validate_header_key("k" * 200 + "\ud800") == NameViolation.INVALID_UNICODE
