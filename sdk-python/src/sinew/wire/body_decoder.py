"""Body decoding: the MessagePack bytes of a frame body to a typed message.

Decoding runs in the order section 6 of the specification fixes: first the body must be
exactly one MessagePack value nested at most `MAX_NESTING_DEPTH` levels deep
(`malformed_body`, then `trailing_bytes`), then fields are
checked one by one in wire order, depth first, and the first failing field decides the
kind (`missing_field`, `wrong_type` or `invalid_value`).

The decoder is liberal where the specification asks it to be: fields appended by a newer
revision are ignored (not even type-checked), missing trailing optionals are absent, and
non-shortest integer and string forms and unsorted string-map pairs are accepted.
"""

from __future__ import annotations

from typing import Any

import msgpack

from sinew.wire.decode_error import DecodeErrorKind, FrameDecodeError
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
from sinew.wire.frame_header import BytesLike
from sinew.wire.limits import MAX_NESTING_DEPTH
from sinew.wire.messages import Message

__all__ = ["decode_body"]


class _MapValue:
    """Stands in for any MessagePack map in a body.

    No valid body contains a map, so only its nesting depth ever matters; keeping the pairs
    out of a dict means a map with unhashable or repeated keys is still just a `wrong_type`.
    """

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[object, object]]) -> None:
        self.pairs = pairs


def decode_body(schema: OpSchema, body: BytesLike) -> Message:
    """Decode a complete body for the op `schema`; raises `FrameDecodeError`."""
    root = _unpack_one_value(body)
    message: Message = _decode_fields(schema, root, "")
    return message


def _unpack_one_value(body: BytesLike) -> object:
    try:
        value: object = msgpack.unpackb(
            body,
            raw=False,
            # Invalid UTF-8 becomes lone surrogates, so it is reported as `invalid_value` at
            # the field that holds it instead of failing the whole body.
            unicode_errors="surrogateescape",
            strict_map_key=False,
            object_pairs_hook=_MapValue,
            use_list=True,
        )
    except msgpack.ExtraData as error:
        # Nesting is part of being one well-formed value, which outranks trailing bytes.
        _check_nesting_depth(error.unpacked)
        raise FrameDecodeError(
            DecodeErrorKind.TRAILING_BYTES,
            f"{len(error.extra)} byte(s) follow the body's MessagePack value",
        ) from None
    except (ValueError, msgpack.UnpackException):
        # Empty input, a value cut short, the never-used type byte 0xC1, nesting deeper
        # than the library allows, or a timestamp extension of impossible length.
        raise FrameDecodeError(
            DecodeErrorKind.MALFORMED_BODY, "the body is not one complete MessagePack value"
        ) from None
    _check_nesting_depth(value)
    return value


def _check_nesting_depth(value: object) -> None:
    # Iterative, so the check itself cannot run out of stack however deep the input is.
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        container, depth = pending.pop()
        if depth > MAX_NESTING_DEPTH:
            raise FrameDecodeError(
                DecodeErrorKind.MALFORMED_BODY,
                f"arrays and maps nest more than {MAX_NESTING_DEPTH} levels deep",
            )
        children = (
            [item for pair in container.pairs for item in pair]
            if isinstance(container, _MapValue)
            else container
        )
        if isinstance(children, list):
            pending.extend(
                (child, depth + 1)
                for child in children
                if type(child) is list or isinstance(child, _MapValue)
            )


def _decode_fields(schema: BodySchema, raw: object, path: str) -> Any:
    if type(raw) is not list:
        raise _wrong_type(path or "body", "an array", raw)
    values: dict[str, object] = {}
    for index, field in enumerate(schema.fields):
        field_path = f"{path}.{field.name}" if path else field.name
        item = raw[index] if index < len(raw) else None
        if item is None:
            if not field.optional:
                absence = "nil" if index < len(raw) else "absent"
                raise FrameDecodeError(
                    DecodeErrorKind.MISSING_FIELD,
                    f"the required field is {absence}",
                    field=field_path,
                )
            values[field.name] = None
        else:
            values[field.name] = _decode_value(field.type, item, field_path)
    return schema.python_type(**values)


def _decode_value(field_type: FieldType, raw: object, path: str) -> object:
    match field_type:
        case UIntType():
            return _read_uint(raw, field_type.max_value, field_type.wire_name, path)
        case BoolType():
            if type(raw) is not bool:
                raise _wrong_type(path, "a bool", raw)
            return raw
        case StrType():
            return _read_str(raw, path)
        case BinType():
            if type(raw) is not bytes:
                raise _wrong_type(path, "bin", raw)
            return raw
        case StrMapType():
            return _read_string_map(raw, path)
        case EnumType():
            number = _read_uint(raw, None, "an enum", path)
            try:
                return field_type.enum(number)
            except ValueError:
                raise FrameDecodeError(
                    DecodeErrorKind.INVALID_VALUE,
                    f"{number} is not a {field_type.enum.__name__} value",
                    field=path,
                ) from None
        case RecordType():
            return _decode_fields(field_type.schema, raw, path)
        case ListType():
            if type(raw) is not list:
                raise _wrong_type(path, "an array", raw)
            elements: list[object] = []
            for index, element in enumerate(raw):
                element_path = f"{path}[{index}]"
                if element is None:
                    raise FrameDecodeError(
                        DecodeErrorKind.MISSING_FIELD, "a list element is nil", field=element_path
                    )
                elements.append(_decode_value(field_type.element, element, element_path))
            return tuple(elements)


def _read_uint(raw: object, max_value: int | None, wire_name: str, path: str) -> int:
    # `type() is int` rather than isinstance: a MessagePack bool arrives as a Python bool,
    # which is an int subclass but the wrong wire type.
    if type(raw) is not int:
        raise _wrong_type(path, "an unsigned integer", raw)
    if raw < 0:
        raise FrameDecodeError(DecodeErrorKind.WRONG_TYPE, f"{raw} is negative", field=path)
    if max_value is not None and raw > max_value:
        raise FrameDecodeError(
            DecodeErrorKind.WRONG_TYPE, f"{raw} is out of range for {wire_name}", field=path
        )
    return raw


def _read_str(raw: object, path: str) -> str:
    if type(raw) is not str:
        raise _wrong_type(path, "a str", raw)
    if not raw.isascii():
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError:
            raise FrameDecodeError(
                DecodeErrorKind.INVALID_VALUE, "the str is not valid UTF-8", field=path
            ) from None
    return raw


def _read_string_map(raw: object, path: str) -> dict[str, str]:
    if type(raw) is not list:
        raise _wrong_type(path, "a string map (an array of key and value strs)", raw)
    # The length is checked first, then each pair in wire order: its key, its value, and last
    # whether the key repeats an earlier one (the protocol's order for a map with two problems).
    if len(raw) % 2:
        raise FrameDecodeError(
            DecodeErrorKind.INVALID_VALUE,
            f"a string map has an odd number ({len(raw)}) of elements",
            field=path,
        )
    entries: dict[str, str] = {}
    for index in range(0, len(raw), 2):
        key = _read_string_map_element(raw[index], f"{path}[{index}]")
        value = _read_string_map_element(raw[index + 1], f"{path}[{index + 1}]")
        if key in entries:
            raise FrameDecodeError(
                DecodeErrorKind.INVALID_VALUE,
                f"the key {key!r} appears twice",
                field=f"{path}[{index}]",
            )
        entries[key] = value
    return entries


def _read_string_map_element(raw: object, path: str) -> str:
    if raw is None:
        raise FrameDecodeError(
            DecodeErrorKind.MISSING_FIELD, "a string-map element is nil", field=path
        )
    return _read_str(raw, path)


def _wrong_type(path: str, expected: str, raw: object) -> FrameDecodeError:
    return FrameDecodeError(
        DecodeErrorKind.WRONG_TYPE, f"expected {expected}, got {_describe(raw)}", field=path
    )


def _describe(raw: object) -> str:
    """The MessagePack type of an unpacked value, for error messages."""
    if raw is None:
        return "nil"
    if isinstance(raw, _MapValue):
        return "a map"
    if isinstance(raw, msgpack.ExtType | msgpack.Timestamp):
        return "an extension value"
    names: dict[type[object], str] = {
        bool: "a bool",
        int: "an integer",
        float: "a float",
        str: "a str",
        bytes: "bin",
        list: "an array",
    }
    return names.get(type(raw), type(raw).__name__)
