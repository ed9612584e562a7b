"""A schema-driven reference encoder for Sinew protocol v1.

It reads wire-vectors/protocol.json and turns the JSON form of a frame (the same form the
vector files use for `fields`) into bytes. It shares no code with the SDK codecs on purpose:
the vectors it writes are the independent yardstick those codecs are measured against.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import msgpack

MAGIC = b"SN"
HEADER = struct.Struct(">2sBBHHII")


def load_protocol(root: Path) -> dict[str, Any]:
    return json.loads((root / "wire-vectors" / "protocol.json").read_text(encoding="utf-8"))


def generated_bytes(length: int) -> bytes:
    """The documented payload rule: byte i is i mod 251 (a prime, so the pattern never aligns with powers of two)."""
    return bytes(i % 251 for i in range(length))


def expand_bytes(value: Any) -> bytes:
    """A byte template is a hex string, a {"generate": "mod251", "length": N} object, or an array of those."""
    if isinstance(value, str):
        return bytes.fromhex(value)
    if isinstance(value, dict):
        if value.get("generate") != "mod251":
            raise ValueError(f"unknown generator {value!r}")
        return generated_bytes(int(value["length"]))
    if isinstance(value, list):
        return b"".join(expand_bytes(part) for part in value)
    raise TypeError(f"not a byte template: {value!r}")


def utf8_key(key: str) -> bytes:
    return key.encode("utf-8")


class ReferenceEncoder:
    def __init__(self, protocol: dict[str, Any]) -> None:
        self.protocol = protocol
        self.ops = {op["name"]: op for op in protocol["ops"]}
        self.records = protocol["records"]
        self.enums = protocol["enums"]

    # -- values -------------------------------------------------------------------------
    def value(self, type_name: str, value: Any) -> Any:
        if value is None:
            return None
        if type_name in ("u8", "u16", "u32"):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{type_name} must be a JSON number, got {value!r}")
            return value
        if type_name == "u64":
            if not isinstance(value, str):
                raise TypeError(f"u64 must be a decimal JSON string, got {value!r}")
            return int(value, 10)
        if type_name == "bool":
            if not isinstance(value, bool):
                raise TypeError(f"bool expected, got {value!r}")
            return value
        if type_name == "str":
            if not isinstance(value, str):
                raise TypeError(f"str expected, got {value!r}")
            return value
        if type_name == "bin":
            return expand_bytes(value)
        if type_name == "strmap":
            if not isinstance(value, dict):
                raise TypeError(f"strmap must be a JSON object, got {value!r}")
            flat: list[str] = []
            for key in sorted(value, key=utf8_key):
                flat.append(key)
                flat.append(value[key])
            return flat
        if type_name.startswith("enum:"):
            return self.enums[type_name[5:]][value]
        if type_name.startswith("record:"):
            return self.record(self.records[type_name[7:]], value)
        if type_name.startswith("list:"):
            inner = type_name[5:]
            return [self.value(inner, item) for item in value]
        raise ValueError(f"unknown type {type_name}")

    def record(self, fields: list[dict[str, Any]], value: dict[str, Any]) -> list[Any]:
        known = {f["name"] for f in fields}
        unknown = set(value) - known
        if unknown:
            raise KeyError(f"unknown fields {sorted(unknown)}")
        out = []
        for field in fields:
            if field["name"] not in value:
                raise KeyError(f"field {field['name']} missing from JSON (write null for an absent optional)")
            v = value[field["name"]]
            if v is None and not field.get("optional"):
                raise ValueError(f"required field {field['name']} is null")
            out.append(self.value(field["type"], v))
        return out

    # -- frames -------------------------------------------------------------------------
    def body(self, op: str, fields: dict[str, Any]) -> bytes:
        return msgpack.packb(self.record(self.ops[op]["fields"], fields), use_bin_type=True)

    def header(self, opcode: int, body_length: int, *, version: int = 1, flags: int = 0,
               request_id: int = 0, reserved: int = 0, magic: bytes = MAGIC) -> bytes:
        return HEADER.pack(magic, version, opcode, flags, reserved, request_id, body_length)

    def frame(self, op: str, fields: dict[str, Any], *, version: int = 1, flags: int = 0,
              request_id: int = 0) -> bytes:
        body = self.body(op, fields)
        return self.header(self.ops[op]["opcode"], len(body), version=version, flags=flags,
                           request_id=request_id) + body

    def raw_frame(self, op: str, body: bytes, *, version: int = 1, flags: int = 0, request_id: int = 0) -> bytes:
        return self.header(self.ops[op]["opcode"], len(body), version=version, flags=flags,
                           request_id=request_id) + body
