"""The expanded companion of a frame file, which is what runners load.

A frame file under wire-vectors/frames/ is written for reviewers: a payload too big for hex
is a byte template. Its companion, frames/expanded/<name>.json, is the same document with
every template written out (in `hex`, `canonical_hex` and every `bin` field), so a runner in
any language reads JSON and decodes hex, and carries no template code of its own.

A byte string longer than INLINE_LIMIT bytes is not written as hex: it goes to a sidecar,
frames/expanded/bytes/<sha256>.bin, holding the raw bytes, and the companion refers to it as
{"file": "bytes/<sha256>.bin", "length": N, "sha256": "<sha256>"}. As hex, the one 1 MiB
vector would add 4 MiB of text (its frame and its payload field); as raw bytes it adds 2 MiB
to a checkout and only kilobytes to git's packs, and keeps multi-megabyte lines out of
grep and diffs. The reference has an integer `length`, so no string map can look like one,
and `reference_keys_are_free` checks that no record has exactly these three fields.
"""

from __future__ import annotations

import hashlib
from typing import Any

from encoder import expand_bytes

INLINE_LIMIT = 64 * 1024
SIDECAR_DIR = "bytes"
REFERENCE_KEYS = {"file", "length", "sha256"}


def reference_keys_are_free(protocol: dict[str, Any]) -> bool:
    """No record or op has exactly the reference's fields, so a runner may recognise a
    reference by its keys without knowing the op."""
    field_sets = [{f["name"] for f in fields} for fields in protocol["records"].values()]
    field_sets += [{f["name"] for f in op["fields"]} for op in protocol["ops"]]
    return REFERENCE_KEYS not in field_sets


class Expander:
    """Expands the byte templates of vectors and collects the sidecars they need."""

    def __init__(self, protocol: dict[str, Any]) -> None:
        assert reference_keys_are_free(protocol)
        self.ops = {op["name"]: op["fields"] for op in protocol["ops"]}
        self.records = protocol["records"]
        self.sidecars: dict[str, bytes] = {}
        """Path relative to frames/expanded -> the bytes of that sidecar."""

    def document(self, source_name: str, document: dict[str, Any]) -> dict[str, Any]:
        expanded: dict[str, Any] = {}
        for key, value in document.items():
            expanded[key] = [self.vector(v) for v in value] if key == "vectors" else value
            if key == "description":
                expanded["expanded_from"] = f"frames/{source_name}"
        return expanded

    def vector(self, vector: dict[str, Any]) -> dict[str, Any]:
        expanded = dict(vector)
        for key in ("hex", "canonical_hex"):
            if key in vector:
                expanded[key] = self.bytes_value(vector[key])
        if "fields" in vector:
            expanded["fields"] = self.record(self.ops[vector["op"]], vector["fields"])
        return expanded

    def bytes_value(self, template: Any) -> Any:
        data = expand_bytes(template)
        if len(data) <= INLINE_LIMIT:
            return data.hex()
        digest = hashlib.sha256(data).hexdigest()
        path = f"{SIDECAR_DIR}/{digest}.bin"
        self.sidecars[path] = data
        return {"file": path, "length": len(data), "sha256": digest}

    def record(self, fields: list[dict[str, Any]], value: dict[str, Any]) -> dict[str, Any]:
        types = {f["name"]: f["type"] for f in fields}
        return {name: self.value(types[name], item) for name, item in value.items()}

    def value(self, type_name: str, value: Any) -> Any:
        if value is None:
            return None
        if type_name == "bin":
            return self.bytes_value(value)
        if type_name.startswith("record:"):
            return self.record(self.records[type_name[7:]], value)
        if type_name.startswith("list:"):
            return [self.value(type_name[5:], item) for item in value]
        return value
