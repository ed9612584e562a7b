"""The package's floor plan, checked on its import statements: no module imports another in
a circle, and nothing below the public handles imports a handle module, the package root, the
blocking facade or the conformance driver.

Every `import` and `from ... import` statement of every module under `src/sinew` counts,
including those inside functions and `if TYPE_CHECKING:` blocks: a type-only import is still
a dependency a reader has to follow.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

SOURCE_ROOT = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "sinew"

HANDLE_MODULES = frozenset(
    {
        "sinew.awaitable_context",
        "sinew.client",
        "sinew.delivery",
        "sinew.publish_confirmation",
        "sinew.publisher",
        "sinew.reliable_publisher",
        "sinew.subscription",
    }
)
"""The public handles: what an application holds and calls."""

ABOVE_THE_HANDLES = ("sinew.blocking", "sinew.conformance")
"""Packages built on the handles."""

KNOWN_CYCLES = [["sinew.wire.decode_error", "sinew.wire.frame_header"]]
"""Cycles in the generated wire codec, which is written by tools/protogen and not edited by
hand: `decode_error` names `FrameHeader` in a type annotation only. The test fails once one
of these is gone, so the list only shrinks."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted((SOURCE_ROOT / PACKAGE).rglob("*.py"))}


def imported_modules(path: Path, name: str, known: Iterable[str]) -> set[str]:
    """The package's modules that the module `name` at `path` imports."""
    known = set(known)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # `from sinew import delivery` imports a module; `from sinew import Delivery`
                # imports a name from the package.
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in known else base)
    return {target for target in found if target in known and target != name}


def import_graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imported_modules(path, name, found) for name, path in found.items()}


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module, and every module importing
    itself (Tarjan's algorithm, iterative so deep graphs cannot overflow the stack)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                    advanced = True
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1 or node in graph.get(node, ()):
                    groups.append(sorted(group))
    return groups


def is_above_the_handles(name: str) -> bool:
    return name == PACKAGE or any(
        name == package or name.startswith(package + ".") for package in ABOVE_THE_HANDLES
    )


def test_the_walk_sees_the_whole_package() -> None:
    graph = import_graph()
    assert HANDLE_MODULES <= graph.keys()
    assert {"sinew", "sinew._core.client_core", "sinew.connection.connection"} <= graph.keys()
    assert "sinew._core.client_core" in graph["sinew.client"]
    assert "sinew.client" in graph["sinew"]


def test_no_module_imports_another_in_a_circle() -> None:
    assert sorted(cycles(import_graph())) == sorted(KNOWN_CYCLES)


def test_nothing_below_the_handles_imports_a_handle_or_what_is_built_on_them() -> None:
    upward = sorted(
        (name, target)
        for name, targets in import_graph().items()
        if name not in HANDLE_MODULES and not is_above_the_handles(name)
        for target in targets
        if target in HANDLE_MODULES or is_above_the_handles(target)
    )
    assert upward == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"a"}}, [["a"]]),
        ({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}}, [["a", "b"], ["c", "d"]]),
    ],
)
def test_the_cycle_finder_finds_cycles(
    graph: dict[str, set[str]], expected: list[list[str]]
) -> None:
    assert sorted(cycles(graph)) == expected


def test_imports_are_resolved_to_modules_or_to_their_package(tmp_path: Path) -> None:
    source = tmp_path / "example.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from sinew import delivery, Delivery\n"
        "import sinew.wire.codec\n"
        "if TYPE_CHECKING:\n"
        "    from sinew.client import SinewClient\n"
        "def later() -> None:\n"
        "    from sinew._core import client_core\n",
        encoding="utf-8",
    )
    known = {"sinew", "sinew.delivery", "sinew.wire.codec", "sinew.client", "sinew._core",
             "sinew._core.client_core", "sinew.example"}
    assert imported_modules(source, "sinew.example", known) == {
        "sinew", "sinew.delivery", "sinew.wire.codec", "sinew.client", "sinew._core.client_core"
    }
