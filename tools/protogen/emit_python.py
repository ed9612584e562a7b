"""Python emitter: the protocol modules of sdk-python's wire package (`sinew.wire`).

Each generated module sits at the import path the rest of the SDK already uses
(`sinew.wire.messages`, `sinew.wire.enums`, ...), so no import changes when the registry does
and no re-export shim stands in between. The hand-written modules beside them hold what is not
a table: framing, the MessagePack walk of `body_encoder.py` / `body_decoder.py`, and the
descriptor types in `descriptors.py` that the generated `schema.py` is built from.

Every class, member, field and constant gets its registry doc as a docstring (the package
tests require a docstring and `__all__` in every module); `python_source.py` lays the text out
as the hand-written modules are.
"""

from __future__ import annotations

import keyword
import textwrap

import model
from python_source import INDENT, WIDTH, docstring, module

PACKAGE_DIR = "sdk-python/src/sinew/wire"
OUTPUT_DIRS = (PACKAGE_DIR,)

_PYTHON_TYPES = {
    "u8": "int", "u16": "int", "u32": "int", "u64": "int",
    "bool": "bool", "str": "str", "bin": "bytes", "strmap": "dict[str, str]",
}
_SCALAR_DESCRIPTORS = {
    "u8": "U8", "u16": "U16", "u32": "U32", "u64": "U64",
    "bool": "BOOL", "str": "STR", "bin": "BIN", "strmap": "STRMAP",
}
_SENDERS = {"client": ("the client", "CLIENT"), "server": ("the broker", "SERVER"),
            "either": ("either side", "EITHER")}


def emit(protocol: model.Protocol) -> dict[str, str]:
    _check_names(protocol)
    modules = {
        "enums": _enums_module,
        "opcodes": _opcodes_module,
        "messages": _messages_module,
        "errors": _errors_module,
        "decode_error_kinds": _decode_error_kinds_module,
        "flags": _flags_module,
        "limits": _limits_module,
        "schema": _schema_module,
    }
    return {f"{PACKAGE_DIR}/{name}.py": render(protocol) for name, render in modules.items()}


def _enums_module(protocol: model.Protocol) -> str:
    body: list[str] = []
    for enum in protocol.enums:
        body += ["", "", f"class {enum.name}(IntEnum):", *docstring(_doc(protocol, enum.doc), 1)]
        for value in enum.values:
            body += ["", f"{INDENT}{value.name.upper()} = {value.value}",
                     *docstring(_doc(protocol, value.doc), 1)]
    return module(
        "The enumerations carried in message fields.\n\n"
        "Each class is named as in the registry; the lower-case member name is the value's protocol "
        "name (`AckMode.MANUAL` is `manual`). On the wire an enum is its unsigned number, and a "
        "number not listed here is rejected with `invalid_value`.",
        imports={"enum": ["IntEnum"]},
        exports=[e.name for e in protocol.enums],
        body=body,
    )


def _opcodes_module(protocol: model.Protocol) -> str:
    body = ["", "", "class Opcode(IntEnum):", *docstring(
        f"Every opcode of protocol {_versions(protocol)}.\n\n"
        "Opcodes are append-only: a number is never reused. Members are named after the op in "
        "upper snake case (`HelloOk` is `HELLO_OK`).", 1)]
    for op in _ops_by_opcode(protocol):
        body += ["", f"{INDENT}{_opcode_member(op.name)} = 0x{op.opcode:02X}",
                 *docstring(_doc(protocol, op.doc), 1)]
    return module(
        "Opcodes: the number in byte 3 of every frame header that says what the frame is.",
        imports={"enum": ["IntEnum"]},
        exports=["Opcode"],
        body=body,
    )


def _messages_module(protocol: model.Protocol) -> str:
    body = ["", "", "# Records"]
    for record in protocol.records:
        body += _dataclass(protocol, record.name, _doc(protocol, record.doc), record.fields)
    body += ["", "", *_union("Record", [r.name for r in protocol.records], "Any record.")]
    body += ["", "", "# Ops"]
    for op in _ops_by_opcode(protocol):
        body += _dataclass(protocol, op.name, _op_doc(protocol, op), op.fields)
    body += ["", "", *_union("Message", [o.name for o in _ops_by_opcode(protocol)], "Any op's body.")]
    used_enums = sorted({wire.name for f in _all_fields(protocol) for wire in _walk(f.type)
                         if wire.kind == "enum" and wire.name is not None})
    return module(
        "Typed messages: one class per op (the frame body) and one per record (a nested value).\n\n"
        "Fields are in wire order and carry the specification's names. Integers of every width are "
        "`int`, `bin` is `bytes`, string maps are `dict[str, str]`, lists are tuples, enums are the "
        "`IntEnum` classes of `sinew.wire.enums`, and an absent optional field is `None`. Every "
        "class is frozen and keyword-only, so optional fields can be left out wherever they sit.",
        imports={"dataclasses": ["dataclass", *(["field"] if any(f.secret for f in _all_fields(protocol)) else [])],
                 "typing": ["TypeAlias"]},
        local_imports={"sinew.wire.enums": used_enums},
        exports=[r.name for r in protocol.records] + [o.name for o in protocol.ops]
        + ["Message", "Record"],
        body=body,
    )


def _errors_module(protocol: model.Protocol) -> str:
    body = ["", "", "class ErrorCode(IntEnum):", *docstring(
        "Stable numeric error codes; the lower-case member name is the code's protocol name.\n\n"
        "Codes are appended over time, so a client must also handle numbers missing here.", 1)]
    for error in protocol.errors:
        body += ["", f"{INDENT}{error.name.upper()} = {error.code}",
                 *docstring(_doc(protocol, error.meaning), 1)]
    body += [
        "", "",
        "@dataclass(frozen=True, slots=True)",
        "class ErrorCodeInfo:",
        f'{INDENT}"""What the specification says about one error code."""',
        "",
        f"{INDENT}code: ErrorCode",
        f"{INDENT}retryable: bool",
        f'{INDENT}"""The value brokers send; the flag in a received frame is authoritative."""',
        f"{INDENT}closes_connection: bool",
        "",
        f"{INDENT}@property",
        f"{INDENT}def name(self) -> str:",
        f'{INDENT * 2}"""The protocol name of the code, e.g. `stale_delivery`."""',
        f"{INDENT * 2}return self.code.name.lower()",
        "", "",
        "def _table(*rows: tuple[ErrorCode, bool, bool]) -> Mapping[ErrorCode, ErrorCodeInfo]:",
        f"{INDENT}return MappingProxyType(",
        f"{INDENT * 2}{{code: ErrorCodeInfo(code, retryable, closes) for code, retryable, closes in rows}}",
        f"{INDENT})",
        "", "",
        "ERROR_CODES: Mapping[ErrorCode, ErrorCodeInfo] = _table(",
        f"{INDENT}# code, retryable, closes the connection",
        *[f"{INDENT}(ErrorCode.{e.name.upper()}, {e.retryable}, {e.closes_connection})," for e in protocol.errors],
        ")",
        '"""Every known error code with its retryable and closes-the-connection properties."""',
        "", "",
        "def error_code_info(code: int) -> ErrorCodeInfo | None:",
        f'{INDENT}"""The table row for a code, or None for a code this version does not know."""',
        f"{INDENT}try:",
        f"{INDENT * 2}return ERROR_CODES[ErrorCode(code)]",
        f"{INDENT}except ValueError:",
        f"{INDENT * 2}return None",
    ]
    return module(
        "The error codes an `Error` frame carries, and what the specification says about each.",
        imports={"collections.abc": ["Mapping"], "dataclasses": ["dataclass"], "enum": ["IntEnum"],
                 "types": ["MappingProxyType"]},
        exports=["ERROR_CODES", "ErrorCode", "ErrorCodeInfo", "error_code_info"],
        body=body,
    )


def _decode_error_kinds_module(protocol: model.Protocol) -> str:
    kinds = {d.kind: d for d in protocol.decode_errors}
    field_kinds = [d.kind for d in protocol.decode_errors if d.kind not in protocol.decode_error_precedence]
    ordered: list[str] = []
    for step in protocol.decode_error_precedence:
        ordered += field_kinds if step == "fields" else [step]
    if sorted(ordered) != sorted(kinds):
        raise SystemExit("emit_python: decode_error_precedence and decode_errors name different kinds")
    body = ["", "", "class DecodeErrorKind(StrEnum):", *docstring(
        "The decode error kinds, in the order a decoder checks them.\n\n"
        "The field errors come last and share one place in that order: fields are checked one by "
        "one, depth first, and the first failing field decides the kind.", 1)]
    for kind in ordered:
        body += ["", f'{INDENT}{kind.upper()} = "{kind}"',
                 *docstring(_sentence(_doc(protocol, kinds[kind].meaning)), 1)]
    body += [
        "",
        f"{INDENT}@property",
        f"{INDENT}def error_code(self) -> ErrorCode:",
        f'{INDENT * 2}"""The error code a broker answers this kind of failure with."""',
        f"{INDENT * 2}return DECODE_ERROR_CODES[self]",
        "", "",
        "FIELD_ERROR_KINDS = frozenset(",
        f"{INDENT}{{",
        *[f"{INDENT * 2}DecodeErrorKind.{kind.upper()}," for kind in field_kinds],
        f"{INDENT}}}",
        ")",
        '"""The kinds a field check reports, which share the last place in the order."""',
        "",
        "DECODE_ERROR_CODES: Mapping[DecodeErrorKind, ErrorCode] = MappingProxyType(",
        f"{INDENT}{{",
        *[f"{INDENT * 2}DecodeErrorKind.{kind.upper()}: ErrorCode.{kinds[kind].code.upper()},"
          for kind in ordered],
        f"{INDENT}}}",
        ")",
        '"""For each kind, the error code a broker answers it with."""',
    ]
    return module(
        "Decode error kinds: what a decoder reports for a frame it rejects, in the order it checks, "
        "and the error code a broker answers each with.",
        imports={"collections.abc": ["Mapping"], "enum": ["StrEnum"], "types": ["MappingProxyType"]},
        local_imports={"sinew.wire.errors": ["ErrorCode"]},
        exports=["DECODE_ERROR_CODES", "FIELD_ERROR_KINDS", "DecodeErrorKind"],
        body=body,
    )


def _flags_module(protocol: model.Protocol) -> str:
    body = ["", "", "class FrameFlags(IntFlag):", *docstring(
        f"The flag bits defined in protocol {_versions(protocol)}; every other bit must be zero.", 1)]
    for flag in protocol.flags:
        if flag.value != 1 << flag.bit:
            raise SystemExit(f"emit_python: flag {flag.name} has value {flag.value}, not bit {flag.bit}")
        body += ["", f"{INDENT}{flag.name.upper()} = 0x{flag.value:04X}"]
        if flag.doc:
            body += docstring(_doc(protocol, flag.doc), 1)
    defined = " | ".join(f"FrameFlags.{f.name.upper()}" for f in protocol.flags) or "FrameFlags(0)"
    body += [
        "", "",
        f"DEFINED_FLAGS = {defined}",
        '"""Every defined flag bit; a frame with any other bit set is rejected with `bad_flags`."""',
        "",
        "FLAG_OPS: Mapping[FrameFlags, frozenset[Opcode]] = MappingProxyType(",
        f"{INDENT}{{",
    ]
    for flag in protocol.flags:
        opcodes = ", ".join(f"Opcode.{_opcode_member(name)}" for name in flag.ops)
        body.append(f"{INDENT * 2}FrameFlags.{flag.name.upper()}: frozenset({{{opcodes}}}),")
    body += [
        f"{INDENT}}}",
        ")",
        '"""For each flag, the ops that allow it."""',
        "", "",
        "def allowed_flags(opcode: Opcode) -> FrameFlags:",
        f'{INDENT}"""The flags a frame with this opcode may carry."""',
        f"{INDENT}allowed = FrameFlags(0)",
        f"{INDENT}for flag, ops in FLAG_OPS.items():",
        f"{INDENT * 2}if opcode in ops:",
        f"{INDENT * 3}allowed |= flag",
        f"{INDENT}return allowed",
    ]
    return module(
        "Frame flags (header bytes 4-5) and the ops each flag may appear on.",
        imports={"collections.abc": ["Mapping"], "enum": ["IntFlag"], "types": ["MappingProxyType"]},
        local_imports={"sinew.wire.opcodes": ["Opcode"]},
        exports=["DEFINED_FLAGS", "FLAG_OPS", "FrameFlags", "allowed_flags"],
        body=body,
    )


def _limits_module(protocol: model.Protocol) -> str:
    widths = [kind for kind in model.SCALARS if model.WireType(kind).is_integer]
    body = [""]
    for kind in widths:
        bits = int(kind[1:])
        body += [f"MAX_{kind.upper()} = 0x{'_'.join(textwrap.wrap('F' * (bits // 4), 4))}",
                 f'"""The largest value of a `{kind}` field."""']
    for name, value in protocol.limits.items():
        body += ["", f"{name.upper()} = {value:_}" if value >= 10_000 else f"{name.upper()} = {value}"]
        if protocol.limit_docs.get(name):
            body += docstring(_doc(protocol, protocol.limit_docs[name]), 0)
    return module(
        "Protocol limits and the integer ranges of the wire types.",
        exports=[f"MAX_{kind.upper()}" for kind in widths] + [name.upper() for name in protocol.limits],
        body=body,
    )


def _schema_module(protocol: model.Protocol) -> str:
    # One row per record and per op, however long: the rows are a table, read across, and a line per
    # field would repeat one shape hundreds of times. Nothing but mypy checks the package's source.
    descriptors: set[str] = {"op_schema", "record_schema", "Sender"}
    rows: list[str] = []
    for record in _definition_order(protocol):
        arguments = [f"messages.{record.name}", *_field_arguments(record.fields, descriptors)]
        rows.append(f"{_record_variable(record.name)} = record_schema({', '.join(arguments)})")
    body = ["", "", *rows]
    body += [
        "",
        "RECORD_SCHEMAS: Mapping[str, RecordSchema] = MappingProxyType(",
        f"{INDENT}{{",
        f"{INDENT * 2}schema.name: schema",
        f"{INDENT * 2}for schema in (",
        *[f"{INDENT * 3}{_record_variable(r.name)}," for r in protocol.records],
        f"{INDENT * 2})",
        f"{INDENT}}}",
        ")",
        '"""Every record, by name, in registry order."""',
        "",
        "# Each op: its class, opcode, sender and replies, then its fields in wire order.",
        "_OPS = (",
    ]
    for op in _ops_by_opcode(protocol):
        replies = [f"Opcode.{_opcode_member(name)}" for name in op.replies]
        arguments = [f"messages.{op.name}", f"Opcode.{_opcode_member(op.name)}", f"Sender.{_SENDERS[op.sender][1]}",
                     f"({replies[0]},)" if len(replies) == 1 else f"({', '.join(replies)})",
                     *_field_arguments(op.fields, descriptors)]
        rows.append(f"{INDENT}op_schema({', '.join(arguments)}),")
        body.append(rows[-1])
    descriptors.add("RecordSchema")
    descriptors.add("OpSchema")
    body += [
        ")",
        "",
        "OP_SCHEMAS: Mapping[Opcode, OpSchema] = MappingProxyType({op.opcode: op for op in _OPS})",
        '"""Every op, by opcode, in opcode order."""',
        "",
        "_OP_SCHEMAS_BY_TYPE: Mapping[type[Any], OpSchema] = MappingProxyType(",
        f"{INDENT}{{op.python_type: op for op in _OPS}}",
        ")",
        "", "",
        "def op_schema_for(message: messages.Message) -> OpSchema:",
        f'{INDENT}"""The schema of a message object; raises `TypeError` for anything that is not an op."""',
        f"{INDENT}try:",
        f"{INDENT * 2}return _OP_SCHEMAS_BY_TYPE[type(message)]",
        f"{INDENT}except KeyError:",
        f'{INDENT * 2}raise TypeError(f"{{type(message).__name__}} is not a Sinew protocol message") from None',
    ]
    return module(
        "The schema tables: for every op and record, its fields in wire order with their types.\n\n"
        "The body encoder and decoder walk these tables, so the layout of a body is written down "
        "once, in the registry. The descriptor types they are built from live in "
        "`sinew.wire.descriptors`.",
        imports={"collections.abc": ["Mapping"], "types": ["MappingProxyType"], "typing": ["Any"]},
        local_imports={"sinew.wire": ["enums", "messages"], "sinew.wire.descriptors": sorted(descriptors),
                       "sinew.wire.opcodes": ["Opcode"]},
        exports=["OP_SCHEMAS", "RECORD_SCHEMAS", "op_schema_for"],
        body=body,
        table_rows=frozenset(rows),
    )


def _dataclass(protocol: model.Protocol, name: str, doc: str, fields: tuple[model.Field, ...]) -> list[str]:
    lines = ["", "", "@dataclass(frozen=True, slots=True, kw_only=True)", f"class {name}:",
             *docstring(doc, 1)]
    if fields:
        lines.append("")
    for f in fields:
        annotation = f"{_annotation(f.type)} | None" if f.optional else _annotation(f.type)
        if f.secret:  # repr, and so the repr of anything holding it, leaves the value out
            default = "field(default=None, repr=False)" if f.optional else "field(repr=False)"
        else:
            default = "None" if f.optional else ""
        lines.append(f"{INDENT}{f.name}: {annotation}" + (f" = {default}" if default else ""))
        lines += docstring(_doc(protocol, f.doc) + (" Secret: `repr` leaves it out." if f.secret else ""), 1)
    return lines


def _union(name: str, members: list[str], doc: str) -> list[str]:
    """A union alias, its members filling each line (a list of names, not one line per name)."""
    lines = textwrap.wrap(" | ".join(members), WIDTH - len(INDENT) - 2, break_on_hyphens=False)
    # A line break inside the parentheses comes before a `|`, as in a hand-wrapped union.
    lines = [lines[0], *(line if line.startswith("|") else f"| {line}" for line in lines[1:])]
    lines = [line.removesuffix(" |") for line in lines]
    return [f"{name}: TypeAlias = (", *[f"{INDENT}{line}" for line in lines], ")", f'"""{doc}"""']


def _field_arguments(fields: tuple[model.Field, ...], descriptors: set[str]) -> list[str]:
    """The keyword arguments of a schema row: `name=TYPE`, or `name=optional(TYPE)`."""
    arguments = []
    for f in fields:
        descriptor = _descriptor(f.type, descriptors)
        if f.optional:
            descriptors.add("optional")
            descriptor = f"optional({descriptor})"
        arguments.append(f"{f.name}={descriptor}")
    return arguments


def _annotation(wire: model.WireType) -> str:
    if wire.kind == "list":
        assert wire.element is not None
        return f"tuple[{_annotation(wire.element)}, ...]"
    if wire.kind in ("enum", "record"):
        assert wire.name is not None
        return wire.name
    return _PYTHON_TYPES[wire.kind]


def _descriptor(wire: model.WireType, used: set[str]) -> str:
    if wire.kind == "list":
        assert wire.element is not None
        used.add("ListType")
        return f"ListType({_descriptor(wire.element, used)})"
    if wire.kind == "enum":
        used.add("EnumType")
        return f"EnumType(enums.{wire.name})"  # qualified, as the rows name `messages.X`
    if wire.kind == "record":
        assert wire.name is not None
        used.add("RecordType")
        return f"RecordType({_record_variable(wire.name)})"
    used.add(_SCALAR_DESCRIPTORS[wire.kind])
    return _SCALAR_DESCRIPTORS[wire.kind]


def _op_doc(protocol: model.Protocol, op: model.Op) -> str:
    facts = f"Opcode 0x{op.opcode:02X}, sent by {_SENDERS[op.sender][0]}"
    if op.replies:
        facts += "; answered by " + _or_list([f"`{name}`" for name in op.replies])
    facts += "."
    if op.flags:
        facts += " It may carry the " + _or_list([f"`{flag.upper()}`" for flag in op.flags]) + " flag."
    return f"{_doc(protocol, op.doc)}\n\n{facts}"


def _doc(protocol: model.Protocol, text: str) -> str:
    """A registry doc with its references in Python spelling (`AckMode.manual` → `AckMode.MANUAL`).

    A dotted reference to an enum, record or op must name one of its values or fields.
    """
    enums = {e.name: {v.name for v in e.values} for e in protocol.enums}
    owners: list[model.Record | model.Op] = [*protocol.records, *protocol.ops]
    members = {owner.name: {f.name for f in owner.fields} for owner in owners} | enums

    def render(reference: str) -> str:
        owner, dot, member = reference.partition(".")
        if dot and owner in members and member not in members[owner]:
            raise SystemExit(f"emit_python: the doc reference `{reference}` names no member of {owner}")
        if dot and owner in enums:
            return f"`{owner}.{member.upper()}`"
        if reference == "errors":
            return "`ErrorCode`"
        return f"`{reference}`"

    return model.doc_refs(text, render)


def _sentence(text: str) -> str:
    """A registry fragment as a sentence; an identifier that starts it keeps its case."""
    if "_" not in text.split(" ", 1)[0]:
        text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def _or_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _versions(protocol: model.Protocol) -> str:
    numbers = [str(v) for v in protocol.versions]
    return f"version {numbers[0]}" if len(numbers) == 1 else "versions " + _or_list(numbers).replace(" or ", " and ")


def _opcode_member(op_name: str) -> str:
    return model.screaming(model.snake(op_name))


def _record_variable(record_name: str) -> str:
    return "_" + model.screaming(model.snake(record_name))


def _ops_by_opcode(protocol: model.Protocol) -> list[model.Op]:
    return sorted(protocol.ops, key=lambda op: op.opcode)


def _all_fields(protocol: model.Protocol) -> list[model.Field]:
    owners: list[model.Record | model.Op] = [*protocol.records, *protocol.ops]
    return [f for owner in owners for f in owner.fields]


def _walk(wire: model.WireType) -> list[model.WireType]:
    """The type and, for a list, its element types."""
    return [wire, *(_walk(wire.element) if wire.element is not None else [])]


def _definition_order(protocol: model.Protocol) -> list[model.Record]:
    """Records in registry order, except that a record comes after the records it holds."""
    ordered: list[model.Record] = []

    def visit(record: model.Record, holders: tuple[str, ...]) -> None:
        if record in ordered:
            return
        if record.name in holders:
            raise SystemExit(f"emit_python: record {record.name} holds itself ({' > '.join(holders)})")
        for f in record.fields:
            for wire in _walk(f.type):
                if wire.kind == "record" and wire.name is not None:
                    visit(protocol.record(wire.name), (*holders, record.name))
        ordered.append(record)

    for record in protocol.records:
        visit(record, ())
    return ordered


def _check_names(protocol: model.Protocol) -> None:
    """Fails on a registry name that cannot become the Python identifier it is turned into."""
    names = [*(r.name for r in protocol.records), *(o.name for o in protocol.ops),
             *(e.name for e in protocol.enums), *(f.name for f in _all_fields(protocol)),
             *(v.name.upper() for e in protocol.enums for v in e.values),
             *(e.name.upper() for e in protocol.errors), *(f.name.upper() for f in protocol.flags),
             *(name.upper() for name in protocol.limits), *(d.kind.upper() for d in protocol.decode_errors)]
    bad = [name for name in names if keyword.iskeyword(name) or not name.isidentifier()]
    if bad:
        raise SystemExit(f"emit_python: registry names that are not Python identifiers: {bad}")
