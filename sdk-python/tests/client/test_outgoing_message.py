"""`OutgoingMessage`: payload helpers set the right bytes and content type, and invalid
fields (reserved headers above all) are refused on construction."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import msgpack
import pytest

from sinew import InvalidArgumentError, OutgoingMessage


def test_text_is_utf8_with_the_text_content_type() -> None:
    message = OutgoingMessage.from_text("grüße")
    assert message.payload == "grüße".encode()
    assert message.content_type == "text/plain; charset=utf-8"


def test_json_is_compact_utf8_with_the_json_content_type() -> None:
    message = OutgoingMessage.from_json({"id": 1, "name": "ü"})
    assert message.content_type == "application/json"
    assert json.loads(message.payload) == {"id": 1, "name": "ü"}
    assert message.payload == '{"id":1,"name":"ü"}'.encode()


def test_json_helper_refuses_what_json_cannot_encode() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        OutgoingMessage.from_json({"when": object()})
    assert caught.value.reason == "not_json"
    with pytest.raises(InvalidArgumentError):
        OutgoingMessage.from_json(float("nan"))
    assert OutgoingMessage.from_json({1}, default=sorted).payload == b"[1]"


def test_msgpack_round_trips_with_the_msgpack_content_type() -> None:
    message = OutgoingMessage.from_msgpack({"id": 1, "blob": b"\x00\x01"})
    assert message.content_type == "application/msgpack"
    assert msgpack.unpackb(message.payload, raw=False) == {"id": 1, "blob": b"\x00\x01"}


def test_bytes_keep_a_custom_content_type() -> None:
    message = OutgoingMessage(b"\x08\x01", content_type="application/x-protobuf")
    assert (message.payload, message.content_type) == (b"\x08\x01", "application/x-protobuf")
    assert OutgoingMessage.from_bytes(bytearray(b"ab")).payload == b"ab"


def test_payload_must_be_bytes() -> None:
    with pytest.raises(InvalidArgumentError, match="from_text"):
        OutgoingMessage("text")  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["sinew.trace", "Sinew.Trace", "SINEW.x", "sinew."])
def test_reserved_header_keys_are_refused_before_sending(key: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        OutgoingMessage(b"", headers={key: "v"})
    assert (caught.value.argument, caught.value.reason) == ("headers", "reserved_prefix")


def test_the_client_header_prefix_is_allowed() -> None:
    message = OutgoingMessage(b"", headers={"sinew.client.lib": "python", "sinewy": "ok"})
    assert dict(message.headers) == {"sinew.client.lib": "python", "sinewy": "ok"}


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"": "v"}, "empty"),
        ({"k" * 129: "v"}, "too_long"),
        ({"a\nb": "v"}, "control_character"),
        ({"\ud800": "v"}, "invalid_unicode"),
        ({"k": "v" * 4097}, "too_long"),
        ({"k": 1}, "wrong_type"),
    ],
)
def test_invalid_headers_are_refused_with_the_broker_reason(headers: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        OutgoingMessage(b"", headers=headers)
    assert caught.value.reason == reason


def test_headers_are_copied_and_read_only() -> None:
    source = {"a": "1"}
    message = OutgoingMessage(b"", headers=source)
    source["b"] = "2"
    assert dict(message.headers) == {"a": "1"}
    with pytest.raises(TypeError):
        message.headers["c"] = "3"  # type: ignore[index]


def test_content_type_is_limited_to_255_bytes() -> None:
    OutgoingMessage(b"", content_type="x" * 255)
    with pytest.raises(InvalidArgumentError) as caught:
        OutgoingMessage(b"", content_type="x" * 256)
    assert caught.value.argument == "content_type"


def test_a_text_key_routes_as_its_utf8_bytes() -> None:
    assert OutgoingMessage(b"", key="ключ")._key_bytes == "ключ".encode()
    assert OutgoingMessage(b"", key=b"\xff")._key_bytes == b"\xff"
    with pytest.raises(InvalidArgumentError):
        OutgoingMessage(b"", key=5)  # type: ignore[arg-type]


def test_delay_and_not_before_are_exclusive() -> None:
    later = datetime.now(timezone.utc) + timedelta(minutes=1)
    OutgoingMessage(b"", delay=5)
    OutgoingMessage(b"", not_before=later)
    with pytest.raises(InvalidArgumentError) as caught:
        OutgoingMessage(b"", delay=5, not_before=later)
    assert caught.value.reason == "conflicting_options"


def test_ttl_must_be_positive_and_delay_non_negative() -> None:
    with pytest.raises(InvalidArgumentError):
        OutgoingMessage(b"", ttl=0)
    with pytest.raises(InvalidArgumentError):
        OutgoingMessage(b"", delay=-1)
    with pytest.raises(InvalidArgumentError):
        OutgoingMessage(b"", not_before=datetime(2030, 1, 1))


def test_the_payload_helpers_take_a_content_type_that_overrides_theirs() -> None:
    assert OutgoingMessage.from_text("x", content_type="text/markdown").content_type == "text/markdown"
    assert OutgoingMessage.from_json([1], content_type="application/vnd.a+json").content_type == "application/vnd.a+json"
    assert OutgoingMessage.from_msgpack(1, content_type="application/x-msgpack").content_type == "application/x-msgpack"
    assert OutgoingMessage.from_json([1]).payload == b"[1]"
