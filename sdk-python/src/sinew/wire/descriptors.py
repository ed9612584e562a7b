"""Field descriptors: the types a schema table is made of.

Each wire type has a descriptor whose `wire_name` is the type's spelling in the registry
(`u32`, `strmap`, `enum:AckMode`, `list:record:PublishMessage`); a `FieldSpec` names a field
and its type, and a `BodySchema` lists the fields of an op or record in wire order. The tables
themselves, one schema per op and record, live in `sinew.wire.schema`; the body encoder
and decoder walk them. `record_schema` and `op_schema` build a schema from one table row, the
fields given as keyword arguments in wire order (`payload=BIN, content_type=optional(STR)`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any, TypeAlias

from sinew.wire.opcodes import Opcode

__all__ = [
    "BIN",
    "BOOL",
    "STR",
    "STRMAP",
    "U8",
    "U16",
    "U32",
    "U64",
    "BinType",
    "BodySchema",
    "BoolType",
    "EnumType",
    "FieldSpec",
    "FieldType",
    "ListType",
    "OpSchema",
    "OptionalField",
    "RecordSchema",
    "RecordType",
    "Sender",
    "StrMapType",
    "StrType",
    "UIntType",
    "op_schema",
    "optional",
    "record_schema",
]


@dataclass(frozen=True, slots=True)
class UIntType:
    """An unsigned integer of `bits` bits (`u8`, `u16`, `u32`, `u64`)."""

    bits: int

    @property
    def max_value(self) -> int:
        return (1 << self.bits) - 1

    @property
    def wire_name(self) -> str:
        return f"u{self.bits}"


@dataclass(frozen=True, slots=True)
class BoolType:
    @property
    def wire_name(self) -> str:
        return "bool"


@dataclass(frozen=True, slots=True)
class StrType:
    """A MessagePack str holding valid UTF-8."""

    @property
    def wire_name(self) -> str:
        return "str"


@dataclass(frozen=True, slots=True)
class BinType:
    @property
    def wire_name(self) -> str:
        return "bin"


@dataclass(frozen=True, slots=True)
class StrMapType:
    """A string map: an array of alternating key and value strs, sorted by key bytes."""

    @property
    def wire_name(self) -> str:
        return "strmap"


@dataclass(frozen=True, slots=True)
class EnumType:
    """An enum, carried as its unsigned number."""

    enum: type[IntEnum]

    @property
    def wire_name(self) -> str:
        return f"enum:{self.enum.__name__}"


@dataclass(frozen=True, slots=True)
class RecordType:
    """A nested record, carried as an array of its fields."""

    schema: RecordSchema

    @property
    def wire_name(self) -> str:
        return f"record:{self.schema.name}"


@dataclass(frozen=True, slots=True)
class ListType:
    """An array whose every element has the element type (nil elements are not allowed)."""

    element: FieldType

    @property
    def wire_name(self) -> str:
        return f"list:{self.element.wire_name}"


FieldType: TypeAlias = (
    UIntType | BoolType | StrType | BinType | StrMapType | EnumType | RecordType | ListType
)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a body or record."""

    name: str
    type: FieldType
    optional: bool = False


@dataclass(frozen=True, slots=True)
class BodySchema:
    """The fields of an array-encoded value, and the class that holds them in Python."""

    name: str
    python_type: type[Any]
    fields: tuple[FieldSpec, ...]


@dataclass(frozen=True, slots=True)
class RecordSchema(BodySchema):
    """A record: a value nested in a body."""


class Sender(StrEnum):
    """Which side of a connection sends an op."""

    CLIENT = "client"
    SERVER = "server"
    EITHER = "either"


@dataclass(frozen=True, slots=True)
class OpSchema(BodySchema):
    """An op: the body of a frame with this opcode."""

    opcode: Opcode
    sent_by: Sender
    replies: tuple[Opcode, ...]


U8 = UIntType(8)
U16 = UIntType(16)
U32 = UIntType(32)
U64 = UIntType(64)
BOOL = BoolType()
STR = StrType()
BIN = BinType()
STRMAP = StrMapType()


@dataclass(frozen=True, slots=True)
class OptionalField:
    """A field type in a schema row that may be nil on the wire (`None` in Python)."""

    type: FieldType


def optional(field_type: FieldType) -> OptionalField:
    """Marks a field of a schema row optional: `content_type=optional(STR)`."""
    return OptionalField(field_type)


def _field_specs(fields: Mapping[str, FieldType | OptionalField]) -> tuple[FieldSpec, ...]:
    # Keyword arguments keep the order they were written in, which is the wire order.
    return tuple(
        FieldSpec(name, spec.type, optional=True) if isinstance(spec, OptionalField) else FieldSpec(name, spec)
        for name, spec in fields.items()
    )


def record_schema(python_type: type[Any], /, **fields: FieldType | OptionalField) -> RecordSchema:
    """The schema of a record, named after its class, with `fields` in wire order."""
    return RecordSchema(python_type.__name__, python_type, _field_specs(fields))


def op_schema(
    python_type: type[Any],
    opcode: Opcode,
    sent_by: Sender,
    replies: tuple[Opcode, ...],
    /,
    **fields: FieldType | OptionalField,
) -> OpSchema:
    """The schema of an op, named after its class, with `fields` in wire order.

    The other parameters are positional-only, so a field may have any name, `opcode` included.
    """
    return OpSchema(python_type.__name__, python_type, _field_specs(fields), opcode, sent_by, replies)
