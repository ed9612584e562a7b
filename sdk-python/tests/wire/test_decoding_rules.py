"""Decoding rules the vectors pin one at a time, checked in combination.

A frame with several faults must report the one earliest in `decode_error_precedence`. The
faults are injected into the vectors at the header offsets the registry gives, so nothing
here restates the wire layout. The nesting limit is taken from the registry as well.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import msgpack
import pytest
from vector_support import FrameVector, negative_vectors, positive_vectors, registry

from sinew.wire import DecodeErrorKind, FrameDecodeError, FrameReader, decode_frame
from sinew.wire.decode_error import FIELD_ERROR_KINDS

PRECEDENCE: list[str] = registry()["decode_error_precedence"]
HEADER_FIELDS = {
    field["name"]: (field["offset"], field["size"]) for field in registry()["header"]["fields"]
}
HEADER_SIZE: int = registry()["header"]["size"]
MAX_NESTING_DEPTH: int = registry()["limits"]["max_nesting_depth"]
UNASSIGNED_OPCODE = min(set(range(256)) - {op["opcode"] for op in registry()["ops"]})
UNSPOKEN_VERSION = max(registry()["versions"]) + 1
PING = next(op for op in registry()["ops"] if not op["fields"])

Input = tuple[bytes, int]
"""Decoder input: the bytes and the max_frame_bytes to apply."""


def _rank(kind: str) -> int:
    return PRECEDENCE.index("fields" if kind in FIELD_ERROR_KINDS else kind)


def _set_header_field(data: bytes, name: str, value: int) -> bytes | None:
    offset, size = HEADER_FIELDS[name]
    if len(data) < offset + size:
        return None
    return data[:offset] + value.to_bytes(size, "big") + data[offset + size :]


def _body_length(data: bytes) -> int | None:
    offset, size = HEADER_FIELDS["body_length"]
    if len(data) < HEADER_SIZE:
        return None
    return int.from_bytes(data[offset : offset + size], "big")


def _with_body(data: bytes, body: bytes) -> bytes | None:
    resized = _set_header_field(data, "body_length", len(body))
    return None if resized is None else resized[:HEADER_SIZE] + body


def _complete_frame(data: bytes) -> bool:
    length = _body_length(data)
    return length is not None and len(data) == HEADER_SIZE + length and data[:2] == b"SN"


# Each fault turns a decoder input into one with that fault added, or None where it cannot
# be added without disturbing the input's own fault.
Fault = Callable[[Input], Input | None]


def _truncate_header(given: Input) -> Input | None:
    data, limit = given
    return (data[: HEADER_SIZE - 1], limit) if len(data) >= HEADER_SIZE else None


def _break_magic(given: Input) -> Input | None:
    data, limit = given
    return (b"\x00" + data[1:], limit) if data else None


def _unspoken_version(given: Input) -> Input | None:
    changed = _set_header_field(given[0], "version", UNSPOKEN_VERSION)
    return None if changed is None else (changed, given[1])


def _lower_the_limit(given: Input) -> Input | None:
    length = _body_length(given[0])
    return (given[0], length - 1) if length else None


def _truncate_body(given: Input) -> Input | None:
    data, limit = given
    length = _body_length(data)
    return (data[:-1], limit) if length and len(data) > HEADER_SIZE else None


def _unknown_opcode(given: Input) -> Input | None:
    changed = _set_header_field(given[0], "opcode", UNASSIGNED_OPCODE)
    return None if changed is None else (changed, given[1])


def _reserved_bits(given: Input) -> Input | None:
    changed = _set_header_field(given[0], "reserved", 1)
    return None if changed is None else (changed, given[1])


def _cut_body_short(given: Input) -> Input | None:
    data, limit = given
    if not _complete_frame(data) or len(data) == HEADER_SIZE:
        return None
    changed = _with_body(data, data[HEADER_SIZE:-1])
    return None if changed is None else (changed, limit)


def _trailing_byte(given: Input) -> Input | None:
    data, limit = given
    if not _complete_frame(data):
        return None
    changed = _with_body(data, data[HEADER_SIZE:] + b"\x00")
    return None if changed is None else (changed, max(limit, len(changed) - HEADER_SIZE))


HEADER_FAULTS: dict[str, Fault] = {
    "truncated_header": _truncate_header,
    "bad_magic": _break_magic,
    "unsupported_version": _unspoken_version,
    "frame_too_large": _lower_the_limit,
    "truncated_body": _truncate_body,
    "unknown_opcode": _unknown_opcode,
    "bad_flags": _reserved_bits,
}
BODY_FAULTS: dict[str, Fault] = {
    "malformed_body": _cut_body_short,
    "trailing_bytes": _trailing_byte,
}


def _inputs_with_their_kind() -> list[tuple[str, Input, str | None]]:
    inputs: list[tuple[str, Input, str | None]] = []
    for vector in positive_vectors():
        inputs.append((vector.id, (bytes.fromhex(vector.data["hex"]), vector.max_frame_bytes), None))
    for vector in negative_vectors():
        given = (bytes.fromhex(vector.data["hex"]), vector.max_frame_bytes)
        inputs.append((vector.id, given, vector.data["error"]))
    return inputs


def _decode_kind(given: Input) -> str | None:
    try:
        decode_frame(given[0], max_frame_bytes=given[1])
    except FrameDecodeError as error:
        return error.kind.value
    return None


def test_every_kind_is_covered_by_a_fault_or_the_fields() -> None:
    assert [*HEADER_FAULTS, *BODY_FAULTS, "fields"] == PRECEDENCE


@pytest.mark.parametrize("fault_name", [*HEADER_FAULTS, *BODY_FAULTS])
def test_with_two_faults_the_earlier_in_the_precedence_is_reported(fault_name: str) -> None:
    fault = {**HEADER_FAULTS, **BODY_FAULTS}[fault_name]
    checked = 0
    mismatches: list[str] = []
    for vector_id, given, own_kind in _inputs_with_their_kind():
        # A body fault only composes with a body that is otherwise one complete value.
        if fault_name in BODY_FAULTS and own_kind is not None and own_kind not in FIELD_ERROR_KINDS:
            continue
        faulty = fault(given)
        if faulty is None:
            continue
        kinds = [fault_name] if own_kind is None else [fault_name, own_kind]
        expected = min(kinds, key=_rank)
        actual = _decode_kind(faulty)
        checked += 1
        if actual != expected:
            mismatches.append(f"{vector_id} + {fault_name}: got {actual}, expected {expected}")
    assert mismatches == []
    assert checked > 0


def test_with_two_header_faults_the_earlier_in_the_precedence_is_reported() -> None:
    mismatches: list[str] = []
    checked = 0
    for vector in positive_vectors():
        given = (bytes.fromhex(vector.data["hex"]), vector.max_frame_bytes)
        pairs = itertools.permutations(HEADER_FAULTS.items(), 2)
        for (first, add_first), (second, add_second) in pairs:
            once = add_first(given)
            twice = None if once is None else add_second(once)
            if twice is None:
                continue
            expected = min(first, second, key=_rank)
            actual = _decode_kind(twice)
            checked += 1
            if actual != expected:
                mismatches.append(
                    f"{vector.id} + {first} + {second}: got {actual}, expected {expected}"
                )
    assert mismatches == []
    assert checked > 0


def _nested_arrays(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


def _nested_maps_and_arrays(depth: int) -> Any:
    value: Any = []
    for level in range(depth - 2):
        value = {"k": value} if level % 2 else [value]
    return [value]


def _frame(opcode: int, body: bytes) -> bytes:
    header = bytearray(HEADER_SIZE)
    header[0:2] = b"SN"
    for name, value in (("version", 1), ("opcode", opcode), ("body_length", len(body))):
        offset, size = HEADER_FIELDS[name]
        header[offset : offset + size] = value.to_bytes(size, "big")
    return bytes(header) + body


@pytest.mark.parametrize(
    "build", [_nested_arrays, _nested_maps_and_arrays], ids=["arrays", "maps-and-arrays"]
)
def test_a_body_nested_to_the_limit_decodes_and_one_level_more_is_malformed(
    build: Callable[[int], Any],
) -> None:
    # The body array is level 1; deeper levels sit in an extra field, which Ping ignores.
    at_limit = msgpack.packb(build(MAX_NESTING_DEPTH), use_bin_type=True)
    too_deep = msgpack.packb(build(MAX_NESTING_DEPTH + 1), use_bin_type=True)
    decoded = decode_frame(_frame(PING["opcode"], at_limit), max_frame_bytes=len(at_limit))
    assert decoded.header.opcode == PING["opcode"]
    with pytest.raises(FrameDecodeError) as raised:
        decode_frame(_frame(PING["opcode"], too_deep), max_frame_bytes=len(too_deep))
    assert raised.value.kind == DecodeErrorKind.MALFORMED_BODY


def test_excess_nesting_outranks_trailing_bytes() -> None:
    body = msgpack.packb(_nested_arrays(MAX_NESTING_DEPTH + 1)) + b"\x00"
    with pytest.raises(FrameDecodeError) as raised:
        decode_frame(_frame(PING["opcode"], body), max_frame_bytes=len(body))
    assert raised.value.kind == DecodeErrorKind.MALFORMED_BODY


def test_excess_nesting_outranks_field_errors() -> None:
    op = next(op for op in registry()["ops"] if op["fields"] and op["fields"][0]["type"] == "u64")
    # A bool where the u64 belongs, followed by an extra field nested one level too deep.
    body = msgpack.packb([True, _nested_arrays(MAX_NESTING_DEPTH)])
    with pytest.raises(FrameDecodeError) as raised:
        decode_frame(_frame(op["opcode"], body), max_frame_bytes=len(body))
    assert raised.value.kind == DecodeErrorKind.MALFORMED_BODY


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_extreme_nesting_is_malformed_not_a_crash(depth: int) -> None:
    body = b"\x91" * (depth - 1) + b"\x90"
    with pytest.raises(FrameDecodeError) as raised:
        decode_frame(_frame(PING["opcode"], body), max_frame_bytes=len(body))
    assert raised.value.kind == DecodeErrorKind.MALFORMED_BODY
    reader = FrameReader(max_frame_bytes=len(body))
    reader.feed(_frame(PING["opcode"], body))
    with pytest.raises(FrameDecodeError):
        reader.next_frame()
