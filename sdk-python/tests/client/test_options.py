"""Options objects: defaults as documented, normalisation, and refusal of bad values before
anything is sent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from sinew import (
    AckMode,
    DeadLetterKind,
    DeadLetterPolicy,
    InvalidArgumentError,
    PublisherOptions,
    QueueOptions,
    ReconnectPolicy,
    ReliablePublisherOptions,
    SinewClientOptions,
    SinewCredentials,
    SubscribeOptions,
)
from sinew._core.converters import connection_settings, credentials_to_wire
from sinew.connection.endpoint import Endpoint, parse_endpoint
from sinew.durations import datetime_to_unix_ms, to_milliseconds


def test_client_options_defaults_match_the_documented_values() -> None:
    options = SinewClientOptions()
    assert options.endpoints == ("127.0.0.1:7420",)
    assert options.connect_timeout == 10.0
    assert options.request_timeout == 30.0
    assert options.heartbeat == 10.0
    assert options.reconnect == ReconnectPolicy()
    assert options.credentials is None


def test_a_single_endpoint_string_becomes_a_one_element_tuple() -> None:
    assert SinewClientOptions(endpoints="broker:1234").endpoints == ("broker:1234",)
    assert SinewClientOptions(endpoints=["a:1", "b:2"]).endpoints == ("a:1", "b:2")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("broker:7421", Endpoint("broker", 7421)),
        ("broker", Endpoint("broker", 7420)),
        ("[::1]:9000", Endpoint("::1", 9000)),
        ("[::1]", Endpoint("::1", 7420)),
        (" 10.0.0.1:1 ", Endpoint("10.0.0.1", 1)),
    ],
)
def test_endpoints_parse_into_host_and_port(text: str, expected: Endpoint) -> None:
    assert parse_endpoint(text) == expected


@pytest.mark.parametrize(
    "text", ["", "broker:", "broker:0", "broker:65536", "broker:x", "::1:7420", "tcp://b:1", "[::1", ":7420"]
)
def test_malformed_endpoints_are_refused(text: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        SinewClientOptions(endpoints=text)
    assert caught.value.argument == "endpoints"


def test_an_empty_endpoint_list_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="at least one"):
        SinewClientOptions(endpoints=[])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("connect_timeout", 0),
        ("connect_timeout", -1),
        ("request_timeout", float("nan")),
        ("request_timeout", "30"),
        ("close_timeout", -0.1),
        ("heartbeat", True),
        ("client_name", ""),
        ("reconnect", 5),
        ("credentials", ("user", "pw")),
        ("on_error", "not callable"),
    ],
)
def test_client_options_refuse_invalid_values(field: str, value: Any) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        SinewClientOptions(**{field: value})
    assert caught.value.code == "invalid_argument"
    assert not caught.value.is_retryable


def test_durations_accept_seconds_and_timedelta() -> None:
    assert SinewClientOptions(request_timeout=timedelta(milliseconds=250)).request_timeout == timedelta(
        milliseconds=250
    )
    assert to_milliseconds(timedelta(seconds=1.5), argument="x") == 1500
    assert to_milliseconds(0.1, argument="x") == 100
    assert to_milliseconds(2, argument="x") == 2000
    # A positive duration never rounds down to "no time at all".
    assert to_milliseconds(0.0001, argument="x") == 1
    assert to_milliseconds(0, argument="x") == 0


def test_naive_datetimes_are_refused_because_their_zone_is_unknown() -> None:
    from datetime import datetime, timezone

    with pytest.raises(InvalidArgumentError, match="timezone-aware"):
        datetime_to_unix_ms(datetime(2030, 1, 1), argument="not_before")
    assert datetime_to_unix_ms(datetime(1970, 1, 1, 0, 0, 1, tzinfo=timezone.utc), argument="x") == 1000


def test_credentials_hide_the_secret_from_repr() -> None:
    plain = SinewCredentials.plain("alice", "s3cret")
    assert "s3cret" not in repr(plain)
    assert credentials_to_wire(plain).identity == "alice"
    options = SinewClientOptions(credentials=plain)
    assert "s3cret" not in repr(options)
    assert "s3cret" not in repr(connection_settings(options))
    token = SinewCredentials.token("t0ken")
    assert token.identity == "" and "t0ken" not in repr(token)


def test_reconnect_policy_doubles_its_delay_up_to_the_cap() -> None:
    policy = ReconnectPolicy(max_attempts=8, initial_delay=0.1, max_delay=1.0, jitter=0)
    delays = [policy._delay_before(attempt) for attempt in range(1, 8)]
    assert delays == pytest.approx([0.0, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0])


def test_reconnect_policy_jitter_only_shortens_the_wait() -> None:
    policy = ReconnectPolicy(initial_delay=1.0, max_delay=1.5, jitter=0.2)
    for _ in range(200):
        assert 0.8 <= policy._delay_before(2) <= 1.0
        assert 1.2 <= policy._delay_before(9) <= 1.5


def test_reconnect_policy_defaults_and_disabled() -> None:
    policy = ReconnectPolicy()
    assert (policy.max_attempts, policy.initial_delay, policy.max_delay, policy.jitter) == (5, 0.1, 5.0, 0.2)
    assert ReconnectPolicy.disabled().max_attempts == 0


@pytest.mark.parametrize(
    "settings",
    [
        {"max_attempts": -1},
        {"max_attempts": 1.5},
        {"initial_delay": 2, "max_delay": 1},
        {"initial_delay": -1},
        {"jitter": 1.5},
    ],
)
def test_reconnect_policy_refuses_invalid_settings(settings: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgumentError):
        ReconnectPolicy(**settings)


def test_queue_options_check_every_setting() -> None:
    QueueOptions(partitions=4, max_retries=0, default_ttl=60, lease=timedelta(seconds=30))
    for settings in (
        {"partitions": 0},
        {"partitions": 2**32},
        {"max_retries": -1},
        {"default_ttl": 0},
        {"lease": -5},
        {"group": "bad group"},
        {"dead_letter": "discard"},
    ):
        with pytest.raises(InvalidArgumentError):
            QueueOptions(**settings)  # type: ignore[arg-type]


def test_dead_letter_policies_are_built_by_their_factories() -> None:
    assert DeadLetterPolicy.discard().kind == DeadLetterKind.DISCARD
    assert DeadLetterPolicy.global_().kind == DeadLetterKind.GLOBAL
    target = DeadLetterPolicy.to_queue("orders.dead", "default")
    assert (target.kind, target.topic, target.group) == (DeadLetterKind.QUEUE, "orders.dead", None)
    with pytest.raises(InvalidArgumentError):
        DeadLetterPolicy.to_queue("$system")
    with pytest.raises(InvalidArgumentError):
        DeadLetterPolicy(DeadLetterKind.QUEUE)
    with pytest.raises(InvalidArgumentError):
        DeadLetterPolicy(DeadLetterKind.DISCARD, "orders")


def test_subscribe_options_defaults_and_checks() -> None:
    options = SubscribeOptions()
    assert (options.prefetch, options.ack_mode, options.partition, options.group) == (
        100,
        AckMode.MANUAL,
        None,
        None,
    )
    for settings in ({"prefetch": 0}, {"partition": -1}, {"ack_mode": "auto"}, {"group": "a/b"}):
        with pytest.raises(InvalidArgumentError):
            SubscribeOptions(**settings)  # type: ignore[arg-type]


def test_publisher_options_check_defaults_and_producer_ids() -> None:
    PublisherOptions(delay=1, ttl=timedelta(minutes=1))
    with pytest.raises(InvalidArgumentError):
        PublisherOptions(ttl=0)
    reliable = ReliablePublisherOptions()
    assert (reliable.max_attempts, reliable.first_sequence, reliable.producer_id) == (10, 1, None)
    with pytest.raises(InvalidArgumentError) as caught:
        ReliablePublisherOptions(producer_id="p" * 65)
    assert caught.value.reason == "too_long"
    for settings in ({"max_attempts": 0}, {"first_sequence": -1}, {"initial_retry_delay": 3, "max_retry_delay": 1}):
        with pytest.raises(InvalidArgumentError):
            ReliablePublisherOptions(**settings)  # type: ignore[arg-type]
