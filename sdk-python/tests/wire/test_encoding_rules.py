"""What the encoder refuses: frames no peer could decode are never produced.

Each rule is exercised on the messages of the positive vectors, and the allowed flags and
optional fields come from the registry.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from vector_support import (
    FrameVector,
    json_to_message,
    op_schema_named,
    positive_vectors,
    registry,
)

from sinew.wire import FrameEncodeError, decode_frame, encode_frame
from sinew.wire.descriptors import ListType, UIntType

CANONICAL = [vector for vector in positive_vectors() if not vector.is_non_canonical]
REGISTRY_FLAGS: list[dict[str, Any]] = registry()["flags"]
DEFINED_BITS = sum(flag["value"] for flag in REGISTRY_FLAGS)
UNDEFINED_BITS = [1 << bit for bit in range(16) if not DEFINED_BITS & (1 << bit)]


def _message(vector: FrameVector) -> Any:
    return json_to_message(op_schema_named(vector.data["op"]), vector.data["fields"])


def _one_vector_per_op() -> list[FrameVector]:
    chosen: dict[str, FrameVector] = {}
    for vector in CANONICAL:
        chosen.setdefault(vector.data["op"], vector)
    return list(chosen.values())


@pytest.mark.parametrize("vector", _one_vector_per_op(), ids=lambda vector: vector.data["op"])
def test_flags_are_encoded_only_on_the_ops_that_allow_them(vector: FrameVector) -> None:
    message = _message(vector)
    for flag in REGISTRY_FLAGS:
        if vector.data["op"] in flag["ops"]:
            frame = encode_frame(message, flags=flag["value"])
            assert decode_frame(frame, max_frame_bytes=len(frame)).header.flags == flag["value"]
        else:
            with pytest.raises(FrameEncodeError):
                encode_frame(message, flags=flag["value"])
    for bit in UNDEFINED_BITS:
        with pytest.raises(FrameEncodeError):
            encode_frame(message, flags=bit)


@pytest.mark.parametrize("vector", _one_vector_per_op(), ids=lambda vector: vector.data["op"])
def test_a_required_field_set_to_none_is_refused(vector: FrameVector) -> None:
    schema = op_schema_named(vector.data["op"])
    message = _message(vector)
    for spec in schema.fields:
        if not spec.optional:
            with pytest.raises(FrameEncodeError):
                encode_frame(dataclasses.replace(message, **{spec.name: None}))


@pytest.mark.parametrize("vector", _one_vector_per_op(), ids=lambda vector: vector.data["op"])
def test_integers_outside_their_wire_type_are_refused(vector: FrameVector) -> None:
    schema = op_schema_named(vector.data["op"])
    message = _message(vector)
    for spec in schema.fields:
        if isinstance(spec.type, UIntType):
            for value in (-1, spec.type.max_value + 1, True):
                with pytest.raises(FrameEncodeError):
                    encode_frame(dataclasses.replace(message, **{spec.name: value}))
            edge = dataclasses.replace(message, **{spec.name: spec.type.max_value})
            assert decode_frame(encode_frame(edge), max_frame_bytes=2**32 - 1).message == edge
        elif isinstance(spec.type, ListType) and isinstance(spec.type.element, UIntType):
            too_large = (spec.type.element.max_value + 1,)
            with pytest.raises(FrameEncodeError):
                encode_frame(dataclasses.replace(message, **{spec.name: too_large}))
            with pytest.raises(FrameEncodeError):
                encode_frame(dataclasses.replace(message, **{spec.name: (None,)}))


@pytest.mark.parametrize("request_id", [-1, 2**32])
def test_a_request_id_outside_u32_is_refused(request_id: int) -> None:
    with pytest.raises(FrameEncodeError):
        encode_frame(_message(CANONICAL[0]), request_id=request_id)


def test_a_version_this_codec_does_not_speak_is_refused() -> None:
    unsupported = max(registry()["versions"]) + 1
    with pytest.raises(FrameEncodeError):
        encode_frame(_message(CANONICAL[0]), version=unsupported)


def test_an_object_that_is_not_a_message_is_refused() -> None:
    with pytest.raises(TypeError):
        encode_frame(object())  # type: ignore[arg-type]
