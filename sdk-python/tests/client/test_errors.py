"""The error hierarchy: stable codes, the retryable flag, and the mapping from every broker
error code to a `BrokerError` whose message says what to do."""

from __future__ import annotations

import builtins

import pytest

from sinew import (
    BrokerError,
    ClientClosedError,
    ConnectionLostError,
    InvalidArgumentError,
    OperationTimeoutError,
    ProtocolError,
    SinewConnectionError,
    SinewError,
    SubscriptionEndedError,
    SubscriptionEndReason,
)
from sinew.errors import broker_error
from sinew.wire import ERROR_CODES, CloseReason, ErrorCode


@pytest.mark.parametrize("code", list(ErrorCode), ids=lambda code: code.name.lower())
def test_every_broker_error_code_maps_to_its_name_and_flag(code: ErrorCode) -> None:
    info = ERROR_CODES[code]
    error = broker_error(int(code), retryable=info.retryable, broker_message="why", details={"field": "topic"})
    assert isinstance(error, BrokerError) and isinstance(error, SinewError)
    assert error.code == code.name.lower()
    assert error.broker_code == int(code)
    assert error.is_retryable is info.retryable
    assert error.details == {"field": "topic"}
    assert error.broker_message == "why"
    assert "why" in error.message and "field=topic" in error.message


@pytest.mark.parametrize("code", list(ErrorCode), ids=lambda code: code.name.lower())
def test_a_code_without_a_flag_takes_the_specified_retryability(code: ErrorCode) -> None:
    assert broker_error(int(code)).is_retryable is ERROR_CODES[code].retryable


def test_the_flag_in_the_frame_wins_over_the_table() -> None:
    assert broker_error(int(ErrorCode.INTERNAL), retryable=True).is_retryable
    assert not broker_error(int(ErrorCode.UNAVAILABLE), retryable=False).is_retryable


def test_unknown_codes_are_reported_as_unknown_with_their_number() -> None:
    error = broker_error(999, retryable=False, broker_message="new")
    assert error.code == "unknown"
    assert error.broker_code == 999
    assert "error code 999" in error.message
    assert not broker_error(999).is_retryable


def test_messages_tell_the_reader_what_to_do() -> None:
    error = broker_error(int(ErrorCode.NOT_FOUND), context="publish to 'orders'")
    assert error.message.startswith("publish to 'orders' failed: not_found")
    assert "declare_queue" in error.message


def test_client_side_errors_carry_their_stable_codes() -> None:
    cases: list[tuple[SinewError, str, bool]] = [
        (SinewConnectionError("x"), "connection_failed", True),
        (ConnectionLostError("x"), "connection_lost", True),
        (ClientClosedError(), "client_closed", False),
        (OperationTimeoutError("x"), "timeout", True),
        (InvalidArgumentError("x", argument="topic", reason="empty"), "invalid_argument", False),
        (ProtocolError("x"), "protocol_error", False),
    ]
    for error, code, retryable in cases:
        assert (error.code, error.is_retryable) == (code, retryable), type(error).__name__


def test_errors_also_derive_from_the_matching_builtin() -> None:
    assert isinstance(SinewConnectionError("x"), builtins.ConnectionError)
    assert isinstance(OperationTimeoutError("x"), TimeoutError)
    assert isinstance(InvalidArgumentError("x", argument="a", reason="b"), ValueError)
    assert not isinstance(ConnectionLostError("x"), builtins.ConnectionError)


def test_invalid_argument_errors_name_the_argument_and_reason() -> None:
    error = InvalidArgumentError("bad", argument="topic", reason="whitespace")
    assert (error.argument, error.reason) == ("topic", "whitespace")


def test_every_invalid_argument_reason_in_the_package_is_a_snake_case_word() -> None:
    import pathlib
    import re

    import sinew

    source = pathlib.Path(sinew.__file__).parent
    reasons = {
        match
        for path in source.rglob("*.py")
        for match in re.findall(r'reason="([^"]*)"', path.read_text(encoding="utf-8"))
    }
    assert reasons and all(re.fullmatch(r"[a-z]+(_[a-z]+)*", reason) for reason in reasons), reasons


def test_every_broker_close_reason_is_a_subscription_end_reason() -> None:
    for reason in CloseReason:
        assert SubscriptionEndReason(reason.name.lower()).value == reason.name.lower()
    assert {reason.value for reason in SubscriptionEndReason} == {
        *(reason.name.lower() for reason in CloseReason),
        "connection_lost",
        "client_closed",
    }


@pytest.mark.parametrize(
    ("reason", "retryable"),
    [
        (SubscriptionEndReason.SERVER_SHUTDOWN, True),
        (SubscriptionEndReason.DELETED, False),
        (SubscriptionEndReason.QUARANTINED, False),
        (SubscriptionEndReason.RECONCILE_CLOSED, True),
        (SubscriptionEndReason.CURSOR_TAKEN_OVER, False),
        (SubscriptionEndReason.INTERNAL, False),
        (SubscriptionEndReason.CONNECTION_LOST, True),
        (SubscriptionEndReason.CLIENT_CLOSED, False),
    ],
)
def test_subscription_ended_errors_use_the_reason_as_code(
    reason: SubscriptionEndReason, retryable: bool
) -> None:
    error = SubscriptionEndedError("ended", reason=reason)
    assert (error.code, error.reason, error.is_retryable) == (reason.value, reason, retryable)
