"""Writes the reStructuredText sources of the Python API reference into a build directory: one page
per public module and one per public class or function, each rendered by autodoc, plus pages.json
listing them per module.

    python generate_sources.py OUT_DIR

The public surface is what each module lists in `__all__`. `sinew.blocking` re-exports the asyncio
package's value types (options, messages, receipts, errors); those are documented once, under
`sinew`, and the blocking page links to them.
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
from pathlib import Path

MODULES = ["sinew", "sinew.blocking"]


def heading(text: str, underline: str) -> str:
    return f"{text}\n{underline * len(text)}\n"


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: generate_sources.py OUT_DIR", file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*.rst"):
        stale.unlink()

    base = importlib.import_module(MODULES[0])
    pages: list[str] = []
    modules: list[dict[str, object]] = []
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        own: list[tuple[str, object]] = []
        shared: list[str] = []
        for name in module.__all__:
            value = getattr(module, name)
            if module is not base and getattr(base, name, None) is value:
                shared.append(name)
            elif inspect.isclass(value) or inspect.isfunction(value):
                own.append((name, value))

        lines = [heading(module_name, "="), f".. automodule:: {module_name}", ""]
        groups = [
            ("Classes", [n for n, v in own if inspect.isclass(v) and not issubclass(v, BaseException)]),
            ("Errors", [n for n, v in own if inspect.isclass(v) and issubclass(v, BaseException)]),
            ("Functions", [n for n, v in own if inspect.isfunction(v)]),
        ]
        for title, names in groups:
            if names:
                lines += [heading(title, "-"), ".. autosummary::", ""]
                lines += [f"   ~{module_name}.{name}" for name in names]
                lines.append("")
        if shared:
            lines += [
                heading(f"Shared with {base.__name__}", "-"),
                f"These are the same objects as in :mod:`{base.__name__}` and are re-exported here:",
                "",
            ]
            lines += [f"- :class:`~{base.__name__}.{name}`" for name in shared]
            lines.append("")
        (out / f"{module_name}.rst").write_text("\n".join(lines), encoding="utf-8")
        pages.append(module_name)
        modules.append({"module": module_name, "pages": [f"{module_name}.{name}" for name, _ in own]})

        for name, value in own:
            directive = "autoclass" if inspect.isclass(value) else "autofunction"
            body = [heading(f"{module_name}.{name}", "="), f".. {directive}:: {module_name}.{name}"]
            if inspect.isclass(value):
                body += ["   :members:", "   :show-inheritance:"]
                if issubclass(value, BaseException):
                    # Exception classes inherit args and with_traceback; only their own members matter.
                    body += ["   :exclude-members: args, with_traceback, add_note"]
            (out / f"{module_name}.{name}.rst").write_text("\n".join(body) + "\n", encoding="utf-8")
            pages.append(f"{module_name}.{name}")

    index = [heading("Python API reference", "="), ".. toctree::", "   :maxdepth: 1", ""]
    index += [f"   {page}" for page in pages]
    (out / "index.rst").write_text("\n".join(index) + "\n", encoding="utf-8")
    # The site's sidebar is built from this: one group per module, its classes in source order.
    (out / "pages.json").write_text(json.dumps(modules, indent=2) + "\n", encoding="utf-8")
    print(f"python API sources: {len(pages)} pages in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
