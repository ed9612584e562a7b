"""Properties that hold beyond the vectors: any message round-trips, and no input makes the
decoder fail with anything but a `FrameDecodeError`.

Messages are generated from the codec's field descriptors. Runs are derandomised so every
run checks the same examples.
"""

from __future__ import annotations

from typing import Any

import msgpack
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from sinew.wire import FrameDecodeError, FrameReader, decode_frame, encode_frame  # noqa: E402
from sinew.wire.descriptors import (  # noqa: E402
    BinType,
    BodySchema,
    BoolType,
    EnumType,
    FieldType,
    ListType,
    OpSchema,
    RecordType,
    StrMapType,
    StrType,
    UIntType,
)
from sinew.wire.frame_header import HEADER_SIZE, FrameHeader  # noqa: E402
from sinew.wire.limits import MAX_U32  # noqa: E402
from sinew.wire.schema import OP_SCHEMAS  # noqa: E402

PROPERTY_SETTINGS = settings(max_examples=30, derandomize=True, database=None, deadline=None)
OPS = list(OP_SCHEMAS.values())


def _value_strategy(field_type: FieldType) -> st.SearchStrategy[Any]:
    match field_type:
        case UIntType():
            return st.integers(min_value=0, max_value=field_type.max_value)
        case BoolType():
            return st.booleans()
        case StrType():
            return st.text(max_size=12)
        case BinType():
            return st.binary(max_size=24)
        case StrMapType():
            return st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=4)
        case EnumType():
            return st.sampled_from(list(field_type.enum))
        case RecordType():
            return _message_strategy(field_type.schema)
        case ListType():
            return st.lists(_value_strategy(field_type.element), max_size=3).map(tuple)


def _message_strategy(schema: BodySchema) -> st.SearchStrategy[Any]:
    fields = {
        spec.name: (st.none() | _value_strategy(spec.type))
        if spec.optional
        else _value_strategy(spec.type)
        for spec in schema.fields
    }
    return st.builds(schema.python_type, **fields)


def _plain_msgpack_values() -> st.SearchStrategy[Any]:
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**63), max_value=2**64 - 1)
        | st.floats(allow_nan=False)
        | st.text(max_size=8)
        | st.binary(max_size=8)
    )
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=6)
        | st.dictionaries(st.text(max_size=4), children, max_size=3),
        max_leaves=20,
    )


def _frame(schema: OpSchema, body: bytes, flags: int = 0) -> bytes:
    header = FrameHeader(
        version=1, opcode=schema.opcode, flags=flags, request_id=1, body_length=len(body)
    )
    return header.pack() + body


def _decodes_or_raises_decode_error(frame: bytes) -> None:
    try:
        decoded = decode_frame(frame, max_frame_bytes=MAX_U32)
    except FrameDecodeError:
        return
    # Whatever the decoder accepts must re-encode, and decode again to the same message.
    canonical = encode_frame(
        decoded.message, request_id=decoded.header.request_id, flags=decoded.header.flags
    )
    assert decode_frame(canonical, max_frame_bytes=MAX_U32).message == decoded.message


@pytest.mark.parametrize("schema", OPS, ids=lambda schema: schema.name)
def test_any_message_round_trips_through_encode_and_decode(schema: OpSchema) -> None:
    @PROPERTY_SETTINGS
    @given(message=_message_strategy(schema), request_id=st.integers(0, MAX_U32))
    def round_trip(message: Any, request_id: int) -> None:
        frame = encode_frame(message, request_id=request_id)
        decoded = decode_frame(frame, max_frame_bytes=MAX_U32)
        assert decoded.message == message
        assert decoded.header.request_id == request_id
        assert decoded.header.body_length == len(frame) - HEADER_SIZE
        assert encode_frame(decoded.message, request_id=request_id) == frame
        reader = FrameReader(max_frame_bytes=MAX_U32)
        reader.feed(frame + frame)
        assert reader.next_frame() == decoded
        assert reader.next_frame() == decoded

    round_trip()


@pytest.mark.parametrize("schema", OPS, ids=lambda schema: schema.name)
def test_arbitrary_body_bytes_decode_or_raise_a_decode_error(schema: OpSchema) -> None:
    @PROPERTY_SETTINGS
    @given(body=st.binary(max_size=64))
    def arbitrary_bytes(body: bytes) -> None:
        _decodes_or_raises_decode_error(_frame(schema, body))

    arbitrary_bytes()


@pytest.mark.parametrize("schema", OPS, ids=lambda schema: schema.name)
def test_arbitrary_messagepack_bodies_decode_or_raise_a_decode_error(schema: OpSchema) -> None:
    @PROPERTY_SETTINGS
    @given(value=st.lists(_plain_msgpack_values(), max_size=len(schema.fields) + 2))
    def arbitrary_values(value: list[Any]) -> None:
        _decodes_or_raises_decode_error(_frame(schema, msgpack.packb(value, use_bin_type=True)))

    arbitrary_values()
