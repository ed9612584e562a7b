"""Canonical body encoding: a typed message to the MessagePack bytes of its frame body.

Canonical means (section 3.2): every known field written, nil for an absent optional; the
shortest MessagePack form for every integer, str, bin and array header (which is how the
`msgpack` library packs Python values); and string maps as flat arrays sorted by the keys'
UTF-8 bytes. Values are checked against their wire types first, so a message that no peer
could decode raises `FrameEncodeError` instead of producing bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum

import msgpack

from sinew.wire.descriptors import (
    BinType,
    BodySchema,
    BoolType,
    EnumType,
    FieldType,
    ListType,
    RecordType,
    StrMapType,
    StrType,
    UIntType,
)
from sinew.wire.encode_error import FrameEncodeError
from sinew.wire.messages import Message
from sinew.wire.schema import op_schema_for

__all__ = ["encode_body"]


def encode_body(message: Message) -> bytes:
    """The canonical body of `message` (without the frame header)."""
    schema = op_schema_for(message)
    packed: bytes = msgpack.packb(_encode_fields(schema, message, ""), use_bin_type=True)
    return packed


def _encode_fields(schema: BodySchema, value: object, path: str) -> list[object]:
    encoded: list[object] = []
    for field in schema.fields:
        field_path = f"{path}.{field.name}" if path else field.name
        field_value = getattr(value, field.name)
        if field_value is None:
            if not field.optional:
                raise FrameEncodeError("a required field is None", field=field_path)
            encoded.append(None)
        else:
            encoded.append(_encode_value(field.type, field_value, field_path))
    return encoded


def _encode_value(field_type: FieldType, value: object, path: str) -> object:
    match field_type:
        case UIntType():
            return _check_uint(value, field_type.max_value, path)
        case BoolType():
            if type(value) is not bool:
                raise _wrong_python_type("a bool", value, path)
            return value
        case StrType():
            return _check_str(value, path)
        case BinType():
            if isinstance(value, bytes):
                return value
            if isinstance(value, bytearray | memoryview):
                return bytes(value)
            raise _wrong_python_type("bytes", value, path)
        case StrMapType():
            return _encode_string_map(value, path)
        case EnumType():
            number = _check_uint(value, None, path)
            if isinstance(value, IntEnum) and type(value) is not field_type.enum:
                raise _wrong_python_type(field_type.enum.__name__, value, path)
            try:
                field_type.enum(number)
            except ValueError:
                raise FrameEncodeError(
                    f"{number} is not a {field_type.enum.__name__} value", field=path
                ) from None
            return number
        case RecordType():
            if not isinstance(value, field_type.schema.python_type):
                raise _wrong_python_type(field_type.schema.name, value, path)
            return _encode_fields(field_type.schema, value, path)
        case ListType():
            if not isinstance(value, tuple | list):
                raise _wrong_python_type("a tuple", value, path)
            elements: list[object] = []
            for index, element in enumerate(value):
                element_path = f"{path}[{index}]"
                if element is None:
                    raise FrameEncodeError("list elements cannot be None", field=element_path)
                elements.append(_encode_value(field_type.element, element, element_path))
            return elements


def _check_uint(value: object, max_value: int | None, path: str) -> int:
    # bool is an int subclass, but True is not a number on the wire.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong_python_type("an int", value, path)
    number = int(value)
    if number < 0:
        raise FrameEncodeError(f"{number} is negative; wire integers are unsigned", field=path)
    if max_value is not None and number > max_value:
        raise FrameEncodeError(f"{number} is outside 0..{max_value}", field=path)
    return number


def _check_str(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise _wrong_python_type("a str", value, path)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise FrameEncodeError(
            "the str holds a lone surrogate, which UTF-8 cannot carry", field=path
        ) from None
    return str(value)


def _encode_string_map(value: object, path: str) -> list[str]:
    if not isinstance(value, Mapping):
        raise _wrong_python_type("a dict[str, str]", value, path)
    pairs: list[tuple[bytes, str, str]] = []
    for key, item in value.items():
        key_text = _check_str(key, f"{path}[{key!r}]")
        item_text = _check_str(item, f"{path}[{key!r}]")
        pairs.append((key_text.encode("utf-8"), key_text, item_text))
    # Sort by UTF-8 bytes, as every language's encoder must; UTF-16 order would differ.
    pairs.sort(key=lambda pair: pair[0])
    flat: list[str] = []
    for _, key_text, item_text in pairs:
        flat.append(key_text)
        flat.append(item_text)
    return flat


def _wrong_python_type(expected: str, value: object, path: str) -> FrameEncodeError:
    return FrameEncodeError(f"expected {expected}, got {type(value).__name__}", field=path)
