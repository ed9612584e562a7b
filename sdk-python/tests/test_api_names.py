"""Holds the Python client's public surface to the shared names table,
conformance/api-names.json, both ways: every Python name the table records exists, and every
name of `sinew.__all__` with its public members is in the table. A name added or renamed here
fails until the table records it (and, by review, the C# and TypeScript clients follow).

Members counted are those a class declares itself: the public names of its own ``__dict__``
and annotations (methods, properties, dataclass fields, enum members), not dunders and not
what it inherits. A table name with a dot (``sinew.blocking``) is a module."""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path

import sinew

TABLE_FILE = "conformance/api-names.json"
TABLE_PATH = Path(__file__).resolve().parents[2] / TABLE_FILE


def _declared_members(value: object) -> set[str]:
    if not inspect.isclass(value):
        return set()
    names = {*vars(value), *vars(value).get("__annotations__", {})}
    return {name for name in names if not name.startswith("_")}


def _public_surface() -> dict[str, set[str]]:
    return {name: _declared_members(getattr(sinew, name)) for name in sinew.__all__}


def _table() -> dict[str, set[str]]:
    table = json.loads(TABLE_PATH.read_text(encoding="utf-8"))
    entries: dict[str, set[str]] = {}
    for entry in table["types"]:
        name = entry.get("python")
        if isinstance(name, str):
            members = entry.get("members", [])
            entries[name] = {m["python"] for m in members if isinstance(m.get("python"), str)}
    return entries


def test_every_python_name_the_table_records_exists() -> None:
    surface = _public_surface()
    missing: list[str] = []
    for name, members in _table().items():
        if "." in name:
            module = importlib.import_module(name)
            missing.extend(f"member {name}.{m}" for m in sorted(members) if not hasattr(module, m))
            continue
        if name not in surface:
            missing.append(f"name {name}")
            continue
        missing.extend(f"member {name}.{m}" for m in sorted(members - surface[name]))
    assert not missing, (
        f"{TABLE_FILE} records Python names that sinew does not have (rename them in the table, "
        "or restore them in sdk-python/src/sinew):\n  " + "\n  ".join(missing)
    )


def test_every_public_name_of_sinew_is_in_the_table() -> None:
    table = _table()
    extra: list[str] = []
    for name, members in _public_surface().items():
        if name not in table:
            extra.append(f"name {name}")
            continue
        extra.extend(f"member {name}.{m}" for m in sorted(members - table[name]))
    assert not extra, (
        f"sinew.__all__ has public names that {TABLE_FILE} does not record (add them under "
        '"python" in the table, next to their C# and TypeScript names or null with a "why"):\n  '
        + "\n  ".join(extra)
    )


def test_the_surface_reader_counts_own_members_not_inherited_ones() -> None:
    surface = _public_surface()
    assert surface["AckMode"] == {"AUTO", "MANUAL"}
    assert "first_sequence" in surface["ReliablePublisherOptions"]
    assert "group" not in surface["ReliablePublisherOptions"]
    assert "with_traceback" not in surface["ClientClosedError"]
