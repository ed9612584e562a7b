"""Loading the shared wire vectors and checking the codec against them.

The vectors live in the repository's `wire-vectors/` directory, found by walking up from
this file or named by the `SINEW_WIRE_VECTORS` environment variable. Frame vectors are read
from the expanded companions (`frames/expanded/`), where every byte value is hex. JSON values
are turned into typed messages (and back) by walking the codec's own field descriptors, so a
vector that disagrees with the descriptors fails instead of being silently adapted.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from sinew.wire import FrameDecodeError, decode_frame, encode_frame
from sinew.wire.descriptors import (
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
from sinew.wire.schema import OP_SCHEMAS

ENV_OVERRIDE = "SINEW_WIRE_VECTORS"

JsonObject = dict[str, Any]


class VectorFormatError(Exception):
    """A vector whose JSON does not fit the op's fields."""


# Locating and loading


@cache
def wire_vectors_dir() -> Path:
    override = os.environ.get(ENV_OVERRIDE)
    if override:
        candidate = Path(override)
        if (candidate / "protocol.json").is_file():
            return candidate
        raise FileNotFoundError(f"{ENV_OVERRIDE}={override} holds no protocol.json")
    for directory in Path(__file__).resolve().parents:
        if (directory / "wire-vectors" / "protocol.json").is_file():
            return directory / "wire-vectors"
    raise FileNotFoundError(
        f"no wire-vectors/protocol.json above {Path(__file__).parent}; set {ENV_OVERRIDE}"
    )


def _load_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


@cache
def registry() -> JsonObject:
    loaded: JsonObject = _load_json(wire_vectors_dir() / "protocol.json")
    return loaded


@dataclass(frozen=True)
class FrameFile:
    name: str
    content: JsonObject

    @property
    def max_frame_bytes(self) -> int:
        value: int = self.content["max_frame_bytes"]
        return value

    @property
    def vectors(self) -> list[JsonObject]:
        vectors: list[JsonObject] = self.content["vectors"]
        return vectors


def load_companion(path: Path) -> JsonObject:
    """An expanded frame file, with each sidecar reference replaced by the hex of its file."""

    def resolve(value: JsonObject) -> Any:
        if set(value) != {"file", "length", "sha256"} or type(value["length"]) is not int:
            return value
        data = (path.parent / value["file"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != value["sha256"] or len(data) != value["length"]:
            raise VectorFormatError(f"{value['file']} does not match its digest and length")
        return data.hex()

    loaded: JsonObject = json.loads(path.read_text(encoding="utf-8"), object_hook=resolve)
    return loaded


@cache
def frame_files() -> tuple[FrameFile, ...]:
    directory = wire_vectors_dir() / "frames" / "expanded"
    return tuple(
        FrameFile(path.name, load_companion(path)) for path in sorted(directory.glob("*.json"))
    )


@dataclass(frozen=True)
class FrameVector:
    """One vector of a frame file, with the limit its file asks decoders to apply."""

    file: str
    max_frame_bytes: int
    data: JsonObject

    @property
    def id(self) -> str:
        vector_id: str = self.data["id"]
        return vector_id

    @property
    def is_positive(self) -> bool:
        return "op" in self.data

    @property
    def is_non_canonical(self) -> bool:
        return "canonical_hex" in self.data


def all_frame_vectors() -> list[FrameVector]:
    return [
        FrameVector(frame_file.name, frame_file.max_frame_bytes, vector)
        for frame_file in frame_files()
        for vector in frame_file.vectors
    ]


def positive_vectors() -> list[FrameVector]:
    return [vector for vector in all_frame_vectors() if vector.is_positive]


def negative_vectors() -> list[FrameVector]:
    return [vector for vector in all_frame_vectors() if "error" in vector.data]


@cache
def partitioning_vectors() -> tuple[JsonObject, ...]:
    return tuple(_load_json(wire_vectors_dir() / "partitioning.json")["vectors"])


@cache
def name_vectors() -> JsonObject:
    loaded: JsonObject = _load_json(wire_vectors_dir() / "names.json")
    return loaded


@cache
def duration_vectors() -> JsonObject:
    loaded: JsonObject = _load_json(wire_vectors_dir() / "durations.json")
    return loaded


# JSON <-> typed messages, driven by the codec's descriptors


def op_schema_named(name: str) -> OpSchema:
    for schema in OP_SCHEMAS.values():
        if schema.name == name:
            return schema
    raise VectorFormatError(f"no op named {name!r}")


def json_to_message(schema: BodySchema, fields: Any, path: str = "") -> Any:
    if not isinstance(fields, dict):
        raise VectorFormatError(f"{path or 'fields'}: expected an object, got {fields!r}")
    expected = [spec.name for spec in schema.fields]
    if sorted(fields) != sorted(expected):
        raise VectorFormatError(
            f"{path or 'fields'}: {schema.name} has fields {expected}, "
            f"the vector has {list(fields)}"
        )
    values = {
        spec.name: None
        if fields[spec.name] is None
        else _json_to_value(spec.type, fields[spec.name], _join(path, spec.name))
        for spec in schema.fields
    }
    return schema.python_type(**values)


def _json_to_value(field_type: FieldType, value: Any, path: str) -> Any:
    match field_type:
        case UIntType(bits=64):
            if not isinstance(value, str) or not value.isdigit():
                raise VectorFormatError(f"{path}: a u64 is a decimal string, got {value!r}")
            return int(value)
        case UIntType():
            if type(value) is not int:
                raise VectorFormatError(f"{path}: expected a JSON integer, got {value!r}")
            return value
        case BoolType():
            if type(value) is not bool:
                raise VectorFormatError(f"{path}: expected true or false, got {value!r}")
            return value
        case StrType():
            if not isinstance(value, str):
                raise VectorFormatError(f"{path}: expected a string, got {value!r}")
            return value
        case BinType():
            if not isinstance(value, str):
                raise VectorFormatError(f"{path}: expected a hex string, got {value!r}")
            return bytes.fromhex(value)
        case StrMapType():
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise VectorFormatError(f"{path}: expected an object of strings, got {value!r}")
            return dict(value)
        case EnumType():
            members = {member.name.lower(): member for member in field_type.enum}
            if value not in members:
                raise VectorFormatError(
                    f"{path}: {value!r} is not a {field_type.enum.__name__} name"
                )
            return members[value]
        case RecordType():
            return json_to_message(field_type.schema, value, path)
        case ListType():
            if not isinstance(value, list):
                raise VectorFormatError(f"{path}: expected an array, got {value!r}")
            return tuple(
                _json_to_value(field_type.element, element, f"{path}[{index}]")
                for index, element in enumerate(value)
            )


def message_to_json(schema: BodySchema, message: Any) -> JsonObject:
    """The vector form of a message: every field present, absent optionals as null."""
    return {
        spec.name: None
        if getattr(message, spec.name) is None
        else _value_to_json(spec.type, getattr(message, spec.name))
        for spec in schema.fields
    }


def _value_to_json(field_type: FieldType, value: Any) -> Any:
    match field_type:
        case UIntType(bits=64):
            return str(value)
        case UIntType() | BoolType() | StrType():
            return value
        case BinType():
            return bytes(value).hex()
        case StrMapType():
            return dict(value)
        case EnumType():
            return value.name.lower()
        case RecordType():
            return message_to_json(field_type.schema, value)
        case ListType():
            return [_value_to_json(field_type.element, element) for element in value]


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# The positive-vector check


@dataclass(frozen=True)
class PositiveCase:
    """A positive vector, its bytes decoded once so it can be checked many times."""

    vector: FrameVector
    schema: OpSchema
    frame: bytes
    canonical: bytes
    expected_fields: JsonObject

    @property
    def header(self) -> JsonObject:
        header: JsonObject = self.vector.data["header"]
        return header


@cache
def positive_case(vector_id: str) -> PositiveCase:
    vector = next(vector for vector in positive_vectors() if vector.id == vector_id)
    schema = op_schema_named(vector.data["op"])
    frame = bytes.fromhex(vector.data["hex"])
    canonical = bytes.fromhex(vector.data["canonical_hex"]) if vector.is_non_canonical else frame
    return PositiveCase(
        vector=vector,
        schema=schema,
        frame=frame,
        canonical=canonical,
        expected_fields=vector.data["fields"],
    )


@dataclass
class CheckResult:
    failures: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    """Exceptions the codec should never raise, whatever the input."""


def check_positive(
    case: PositiveCase, *, frame: bytes | None = None, canonical: bytes | None = None
) -> CheckResult:
    """Run the three steps of a positive vector and collect what went wrong.

    `frame` replaces the bytes given to the decoder and `canonical` the bytes both encodings
    must produce; the mutation test uses them to corrupt one side at a time.
    """
    frame = case.frame if frame is None else frame
    canonical = case.canonical if canonical is None else canonical
    result = CheckResult()
    header = case.header

    # Bytes inside fields appended by a newer revision are skipped by every decoder, so only
    # the digest notices a change to them.
    expected_digest = case.vector.data.get("hex_sha256")
    if expected_digest is not None and hashlib.sha256(frame).hexdigest() != expected_digest:
        result.failures.append("the hex bytes do not match hex_sha256")

    try:
        built = json_to_message(case.schema, case.vector.data["fields"])
        encoded = encode_frame(
            built, request_id=header["request_id"], flags=header["flags"], version=header["version"]
        )
    except Exception as error:  # noqa: BLE001 - a bad vector and a codec refusal both fail here
        result.failures.append(f"building and encoding the message from fields failed: {error!r}")
    else:
        if encoded != canonical:
            difference = describe_difference(encoded, canonical)
            result.failures.append(f"encoding from fields: {difference}")

    try:
        decoded = decode_frame(frame, max_frame_bytes=case.vector.max_frame_bytes)
    except FrameDecodeError as error:
        result.failures.append(f"decoding failed: {error}")
        return result
    except ValueError as error:
        if type(error) is not ValueError:
            result.crashes.append(f"decoding raised {error!r}")
        result.failures.append(f"decoding failed: {error}")
        return result
    except Exception as error:  # noqa: BLE001 - anything else is a codec bug to report
        result.crashes.append(f"decoding raised {error!r}")
        return result

    actual_header = {
        "version": decoded.header.version,
        "flags": decoded.header.flags,
        "request_id": decoded.header.request_id,
    }
    if actual_header != header:
        result.failures.append(f"decoded header {actual_header} != {header}")
    if decoded.header.opcode != case.schema.opcode:
        result.failures.append(f"decoded opcode {decoded.header.opcode} != {case.schema.opcode}")
    if type(decoded.message) is not case.schema.python_type:
        actual_name = type(decoded.message).__name__
        result.failures.append(f"decoded a {actual_name}, not {case.schema.name}")
        return result
    decoded_fields = message_to_json(case.schema, decoded.message)
    if decoded_fields != case.expected_fields:
        result.failures.append(
            "decoded fields differ: "
            + describe_json_difference(decoded_fields, case.expected_fields)
        )

    try:
        reencoded = encode_frame(
            decoded.message,
            request_id=decoded.header.request_id,
            flags=decoded.header.flags,
            version=decoded.header.version,
        )
    except Exception as error:  # noqa: BLE001 - a decoded message must always re-encode
        result.crashes.append(f"re-encoding the decoded message raised {error!r}")
        return result
    if reencoded != canonical:
        result.failures.append(f"re-encoding: {describe_difference(reencoded, canonical)}")
    return result


def describe_difference(actual: bytes, expected: bytes) -> str:
    offset = next(
        (index for index, (a, b) in enumerate(zip(actual, expected, strict=False)) if a != b),
        min(len(actual), len(expected)),
    )
    return (
        f"{len(actual)} bytes vs {len(expected)} expected, first difference at offset {offset}: "
        f"{actual[offset:offset + 12].hex()} vs {expected[offset:offset + 12].hex()}"
    )


def describe_json_difference(actual: Mapping[str, Any], expected: Mapping[str, Any]) -> str:
    differing = [key for key in expected if actual.get(key) != expected.get(key)]
    return "; ".join(
        f"{key}: {_abbreviate(actual.get(key))} vs {_abbreviate(expected.get(key))}"
        for key in differing
    )


def _abbreviate(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "…"


def with_byte_flipped(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0xFF]) + data[position + 1 :]


# What ran, for the coverage guard and the summary line


@dataclass
class VectorTally:
    executed: set[str] = field(default_factory=set)
    positive_passed: set[str] = field(default_factory=set)
    non_canonical_passed: set[str] = field(default_factory=set)
    negative_passed: set[str] = field(default_factory=set)
    ops_passed: set[str] = field(default_factory=set)
    mutations: int = 0
    partitioning: int = 0
    names: int = 0
    header_keys: int = 0
    groups: int = 0
    durations: int = 0
    heartbeats: int = 0
    deselected_tests: int = 0
    """Tests left out by -k, -m or --lf; the run-everything guard only judges full runs."""

    def summary_line(self, total_ops: int) -> str:
        return (
            f"wire-vectors python: positive={len(self.positive_passed | self.non_canonical_passed)} "
            f"non_canonical={len(self.non_canonical_passed)} "
            f"negative={len(self.negative_passed)} mutations={self.mutations} "
            f"partitioning={self.partitioning} names={self.names} "
            f"header_keys={self.header_keys} groups={self.groups} "
            f"durations={self.durations} heartbeats={self.heartbeats} "
            f"ops={len(self.ops_passed)}/{total_ops}"
        )


TALLY = VectorTally()
