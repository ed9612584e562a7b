"""The protocol registry (wire-vectors/protocol.json) read into typed objects the emitters share.

Every emitter works from this model only, never from the raw JSON, so that what a field type
means (optional, list, record, enum, width) is decided once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCALARS = ("u8", "u16", "u32", "u64", "bool", "str", "bin", "strmap")


@dataclass(frozen=True)
class WireType:
    """A field's type: a scalar, `enum:Name`, `record:Name` or `list:<type>`."""

    kind: str  # one of SCALARS, or "enum", "record", "list"
    name: str | None = None  # the enum or record name
    element: "WireType | None" = None  # for lists

    @staticmethod
    def parse(text: str) -> "WireType":
        if text.startswith("list:"):
            return WireType("list", element=WireType.parse(text[5:]))
        if text.startswith("enum:"):
            return WireType("enum", name=text[5:])
        if text.startswith("record:"):
            return WireType("record", name=text[7:])
        if text not in SCALARS:
            raise ValueError(f"unknown wire type {text!r}")
        return WireType(text)

    @property
    def is_integer(self) -> bool:
        return self.kind in ("u8", "u16", "u32", "u64")

    def __str__(self) -> str:
        if self.kind == "list":
            return f"list:{self.element}"
        if self.kind in ("enum", "record"):
            return f"{self.kind}:{self.name}"
        return self.kind


@dataclass(frozen=True)
class Field:
    name: str  # snake_case, as on the wire spec
    type: WireType
    optional: bool
    doc: str
    index: int  # position in the body array
    secret: bool = False  # a credential: every language's printed form of the type shows *** instead


@dataclass(frozen=True)
class Record:
    """A record: a MessagePack array of fields nested inside op bodies."""

    name: str  # PascalCase
    doc: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Op:
    """An op: a frame body with its opcode."""

    name: str
    doc: str
    opcode: int
    sender: str  # "client", "server" or "either"
    replies: tuple[str, ...]
    fields: tuple[Field, ...]
    flags: tuple[str, ...]  # names of the header flags this op may carry


@dataclass(frozen=True)
class EnumValue:
    name: str  # snake_case
    value: int
    doc: str


@dataclass(frozen=True)
class Enum:
    name: str
    doc: str
    values: tuple[EnumValue, ...]


@dataclass(frozen=True)
class ErrorCode:
    name: str
    code: int
    retryable: bool
    closes_connection: bool
    meaning: str


@dataclass(frozen=True)
class Flag:
    name: str
    bit: int
    value: int
    ops: tuple[str, ...]
    doc: str = ""  # empty when the registry gives none


@dataclass(frozen=True)
class DecodeError:
    kind: str
    code: str
    meaning: str


@dataclass
class Protocol:
    versions: tuple[int, ...]
    header_size: int
    magic: bytes
    flags: tuple[Flag, ...]
    limits: dict[str, int]
    decode_error_precedence: tuple[str, ...]
    decode_errors: tuple[DecodeError, ...]
    errors: tuple[ErrorCode, ...]
    enums: tuple[Enum, ...]
    records: tuple[Record, ...]
    ops: tuple[Op, ...]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)
    limit_docs: dict[str, str] = field(default_factory=dict)  # limit name → doc; empty when the registry has none

    def record(self, name: str) -> Record:
        return next(r for r in self.records if r.name == name)

    def enum(self, name: str) -> Enum:
        return next(e for e in self.enums if e.name == name)

    def op(self, name: str) -> Op:
        return next(o for o in self.ops if o.name == name)


FIELD_KEYS = {"name", "type", "optional", "doc", "secret"}


def _fields(owner: str, items: list[dict[str, Any]]) -> tuple[Field, ...]:
    out = []
    for index, item in enumerate(items):
        if "doc" not in item:
            raise ValueError(f"{owner}.{item['name']} has no doc in protocol.json")
        unknown = set(item) - FIELD_KEYS
        if unknown:  # a misspelt attribute such as "secrets" would otherwise be ignored silently
            raise ValueError(f"{owner}.{item['name']} has unknown keys {sorted(unknown)} in protocol.json")
        for flag in ("optional", "secret"):
            if not isinstance(item.get(flag, False), bool):
                raise ValueError(f"{owner}.{item['name']}: {flag} must be true or false in protocol.json")
        out.append(Field(item["name"], WireType.parse(item["type"]), item.get("optional", False), item["doc"], index,
                         item.get("secret", False)))
    return tuple(out)


def load(root: Path) -> Protocol:
    """Reads and checks the registry: every referenced enum and record exists, every item has a doc."""
    raw = json.loads((root / "wire-vectors" / "protocol.json").read_text(encoding="utf-8"))
    enum_docs = raw.get("enum_docs", {})
    record_docs = raw.get("record_docs", {})
    enums = []
    for name, values in raw["enums"].items():
        docs = enum_docs.get(name)
        if docs is None:
            raise ValueError(f"enum {name} has no entry in enum_docs")
        enums.append(Enum(name, docs["doc"], tuple(
            EnumValue(value_name, number, docs["values"][value_name]) for value_name, number in values.items())))
    records = tuple(Record(name, record_docs[name], _fields(name, fields)) for name, fields in raw["records"].items())
    flags = tuple(Flag(f["name"], f["bit"], f["value"], tuple(f["ops"]), f.get("doc", "")) for f in raw["flags"])
    limit_docs = dict(raw.get("limit_docs", {}))
    if limit_docs and set(limit_docs) != set(raw["limits"]):
        raise ValueError(f"limit_docs must document exactly the limits; differing: "
                         f"{sorted(set(limit_docs) ^ set(raw['limits']))}")
    ops = tuple(
        Op(o["name"], o["doc"], o["opcode"], o["from"], tuple(o["replies"]), _fields(o["name"], o["fields"]),
           tuple(f.name for f in flags if o["name"] in f.ops))
        for o in raw["ops"])
    protocol = Protocol(
        versions=tuple(raw["versions"]),
        header_size=raw["header"]["size"],
        magic=bytes.fromhex(raw["header"]["magic"]),
        flags=flags,
        limits=dict(raw["limits"]),
        decode_error_precedence=tuple(raw["decode_error_precedence"]),
        decode_errors=tuple(DecodeError(d["kind"], d["code"], d["meaning"]) for d in raw["decode_errors"]),
        errors=tuple(ErrorCode(e["name"], e["code"], e["retryable"], e["closes_connection"], e["meaning"])
                     for e in raw["errors"]),
        enums=tuple(enums),
        records=records,
        ops=ops,
        raw=raw,
        limit_docs=limit_docs,
    )
    _check_references(protocol)
    return protocol


def _check_references(protocol: Protocol) -> None:
    enum_names = {e.name for e in protocol.enums}
    record_names = {r.name for r in protocol.records}

    def check(owner: str, wire: WireType) -> None:
        if wire.kind == "list":
            check(owner, wire.element)  # type: ignore[arg-type]
        elif wire.kind == "enum" and wire.name not in enum_names:
            raise ValueError(f"{owner} refers to unknown enum {wire.name}")
        elif wire.kind == "record" and wire.name not in record_names:
            raise ValueError(f"{owner} refers to unknown record {wire.name}")

    for owner in (*protocol.records, *protocol.ops):
        for f in owner.fields:
            check(f"{owner.name}.{f.name}", f.type)


# -- naming ------------------------------------------------------------------------------

def pascal(snake: str) -> str:
    """`not_before_ms` → `NotBeforeMs`."""
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


def camel(snake: str) -> str:
    """`not_before_ms` → `notBeforeMs`."""
    p = pascal(snake)
    return p[:1].lower() + p[1:]


def snake(pascal_name: str) -> str:
    """`PublishBatch` → `publish_batch`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", pascal_name).lower()


def screaming(snake_name: str) -> str:
    return snake_name.upper()


_REF = re.compile(r"`([^`]+)`")


def doc_refs(text: str, render) -> str:
    """Rewrites each `reference` in a registry doc with `render(reference)`.

    Registry docs use backticks for code: an op, record or enum name (`Hello`), a member
    (`StreamStart.value`, `DeadLetterKind.queue`, snake case), a field name (`kind`) or a literal
    (`application/json`). Each emitter renders them in its language's doc syntax and casing.
    """
    return _REF.sub(lambda m: render(m.group(1)), text)
