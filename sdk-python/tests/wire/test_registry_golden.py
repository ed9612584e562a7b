"""The codec's constants and descriptors, pinned to the registry in wire-vectors/protocol.json."""

from __future__ import annotations

import dataclasses
import re
from enum import IntEnum
from typing import Any

import pytest
from vector_support import registry

from sinew.wire import enums, messages
from sinew.wire.decode_error import DECODE_ERROR_CODES, FIELD_ERROR_KINDS, DecodeErrorKind
from sinew.wire.errors import ERROR_CODES, ErrorCode
from sinew.wire.flags import DEFINED_FLAGS, FLAG_OPS, FrameFlags
from sinew.wire.frame_header import HEADER_LAYOUT, HEADER_SIZE, MAGIC, SUPPORTED_VERSIONS
from sinew.wire.limits import (
    DEFAULT_MAX_BATCH_MESSAGES,
    DEFAULT_MAX_FRAME_BYTES,
    DEFAULT_MAX_HEADERS,
    DEFAULT_MAX_LIST_ITEMS,
    DEFAULT_MAX_PREFETCH,
    HANDSHAKE_MAX_FRAME_BYTES,
    MAX_CONTENT_TYPE_BYTES,
    MAX_DELAY_MS,
    MAX_HEADER_KEY_BYTES,
    MAX_HEADER_VALUE_BYTES,
    MAX_HEARTBEAT_MS,
    MAX_LEASE_MS,
    MAX_NAME_BYTES,
    MAX_NESTING_DEPTH,
    MAX_PRODUCER_ID_BYTES,
    MAX_REASON_BYTES,
    MAX_RETENTION_AGE_MS,
    MAX_TTL_MS,
    MIN_HEARTBEAT_MS,
    MIN_LEASE_MS,
)
from sinew.wire.opcodes import Opcode
from sinew.wire.descriptors import BodySchema
from sinew.wire.schema import OP_SCHEMAS, RECORD_SCHEMAS

REGISTRY_OPS: list[dict[str, Any]] = registry()["ops"]
REGISTRY_RECORDS: dict[str, list[dict[str, Any]]] = registry()["records"]


def _upper_snake(camel: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", camel).upper()


def _field_table(schema: BodySchema) -> list[tuple[str, str, bool]]:
    return [(spec.name, spec.type.wire_name, spec.optional) for spec in schema.fields]


def _registry_field_table(fields: list[dict[str, Any]]) -> list[tuple[str, str, bool]]:
    return [(spec["name"], spec["type"], bool(spec.get("optional", False))) for spec in fields]


def _assert_python_class_matches(schema: BodySchema) -> None:
    """The message class has the schema's fields, in order; exactly the optional ones
    default to None."""
    python_fields = dataclasses.fields(schema.python_type)
    assert [f.name for f in python_fields] == [spec.name for spec in schema.fields]
    for python_field, spec in zip(python_fields, schema.fields, strict=True):
        has_none_default = python_field.default is None
        assert has_none_default == spec.optional, spec.name
        if not spec.optional:
            assert python_field.default is dataclasses.MISSING, spec.name
    params = getattr(schema.python_type, "__dataclass_params__")
    assert params.frozen
    assert hasattr(schema.python_type, "__slots__")


def test_header_layout_matches_the_registry() -> None:
    header = registry()["header"]
    assert header["size"] == HEADER_SIZE
    assert header["byte_order"] == "big-endian"
    assert bytes.fromhex(header["magic"]) == MAGIC
    assert [(f["name"], f["offset"], f["size"]) for f in header["fields"]] == list(HEADER_LAYOUT)
    assert sum(size for _, _, size in HEADER_LAYOUT) == HEADER_SIZE
    assert sorted(registry()["versions"]) == sorted(SUPPORTED_VERSIONS)


def test_opcodes_match_the_registry() -> None:
    assert {op["name"]: op["opcode"] for op in REGISTRY_OPS} == {
        schema.name: int(opcode) for opcode, schema in OP_SCHEMAS.items()
    }
    assert {_upper_snake(op["name"]): op["opcode"] for op in REGISTRY_OPS} == {
        member.name: member.value for member in Opcode
    }


@pytest.mark.parametrize("op", REGISTRY_OPS, ids=lambda op: op["name"])
def test_op_fields_match_the_registry(op: dict[str, Any]) -> None:
    schema = OP_SCHEMAS[Opcode(op["opcode"])]
    assert schema.name == op["name"]
    assert schema.python_type.__name__ == op["name"]
    assert getattr(messages, op["name"]) is schema.python_type
    assert _field_table(schema) == _registry_field_table(op["fields"])
    assert schema.sent_by == op["from"]
    replies = [_upper_snake(name) for name in op["replies"]]
    assert [reply.name for reply in schema.replies] == replies
    _assert_python_class_matches(schema)


@pytest.mark.parametrize("name", list(REGISTRY_RECORDS), ids=str)
def test_record_fields_match_the_registry(name: str) -> None:
    schema = RECORD_SCHEMAS[name]
    assert schema.python_type.__name__ == name
    assert getattr(messages, name) is schema.python_type
    assert _field_table(schema) == _registry_field_table(REGISTRY_RECORDS[name])
    _assert_python_class_matches(schema)


def test_every_record_and_op_has_a_descriptor() -> None:
    assert list(RECORD_SCHEMAS) == list(REGISTRY_RECORDS)
    assert len(OP_SCHEMAS) == len(REGISTRY_OPS)


def test_enums_match_the_registry() -> None:
    registry_enums: dict[str, dict[str, int]] = registry()["enums"]
    assert sorted(enums.__all__) == sorted(registry_enums)
    for name, values in registry_enums.items():
        enum_class = getattr(enums, name)
        assert issubclass(enum_class, IntEnum)
        members: list[IntEnum] = list(enum_class)
        assert {member.name.lower(): member.value for member in members} == values, name


def test_flags_match_the_registry() -> None:
    registry_flags = registry()["flags"]
    assert {flag["name"]: flag["value"] for flag in registry_flags} == {
        str(member.name).lower(): member.value for member in FrameFlags
    }
    for flag in registry_flags:
        assert flag["value"] == 1 << flag["bit"]
        member = FrameFlags[flag["name"].upper()]
        assert sorted(OP_SCHEMAS[opcode].name for opcode in FLAG_OPS[member]) == sorted(flag["ops"])
    assert int(DEFINED_FLAGS) == sum(flag["value"] for flag in registry_flags)


def test_error_codes_match_the_registry() -> None:
    assert [
        (row["name"], row["code"], row["retryable"], row["closes_connection"])
        for row in registry()["errors"]
    ] == [
        (info.name, int(info.code), info.retryable, info.closes_connection)
        for info in ERROR_CODES.values()
    ]
    assert list(ERROR_CODES) == list(ErrorCode)


def test_decode_error_kinds_and_precedence_match_the_registry() -> None:
    kinds = registry()["decode_errors"]
    assert sorted(kind["kind"] for kind in kinds) == sorted(kind.value for kind in DecodeErrorKind)
    assert {kind["kind"]: kind["code"] for kind in kinds} == {
        kind.value: code.name.lower() for kind, code in DECODE_ERROR_CODES.items()
    }
    precedence: list[str] = registry()["decode_error_precedence"]
    ordered = [kind.value for kind in DecodeErrorKind if kind not in FIELD_ERROR_KINDS]
    assert precedence == [*ordered, "fields"]
    # The field kinds share the last place, after every other kind.
    assert list(DecodeErrorKind)[-len(FIELD_ERROR_KINDS) :] == sorted(
        FIELD_ERROR_KINDS, key=list(DecodeErrorKind).index
    )


def test_limits_match_the_registry() -> None:
    assert registry()["limits"] == {
        "handshake_max_frame_bytes": HANDSHAKE_MAX_FRAME_BYTES,
        "default_max_frame_bytes": DEFAULT_MAX_FRAME_BYTES,
        "default_max_batch_messages": DEFAULT_MAX_BATCH_MESSAGES,
        "default_max_headers": DEFAULT_MAX_HEADERS,
        "default_max_prefetch": DEFAULT_MAX_PREFETCH,
        "default_max_list_items": DEFAULT_MAX_LIST_ITEMS,
        "max_name_bytes": MAX_NAME_BYTES,
        "max_header_key_bytes": MAX_HEADER_KEY_BYTES,
        "max_header_value_bytes": MAX_HEADER_VALUE_BYTES,
        "max_content_type_bytes": MAX_CONTENT_TYPE_BYTES,
        "max_producer_id_bytes": MAX_PRODUCER_ID_BYTES,
        "max_reason_bytes": MAX_REASON_BYTES,
        "max_nesting_depth": MAX_NESTING_DEPTH,
        "max_ttl_ms": MAX_TTL_MS,
        "max_delay_ms": MAX_DELAY_MS,
        "min_lease_ms": MIN_LEASE_MS,
        "max_lease_ms": MAX_LEASE_MS,
        "min_heartbeat_ms": MIN_HEARTBEAT_MS,
        "max_heartbeat_ms": MAX_HEARTBEAT_MS,
        "max_retention_age_ms": MAX_RETENTION_AGE_MS,
    }
