"""The package itself: version, typing marker, and a documented public surface that shadows
no builtin."""

from __future__ import annotations

import builtins
import importlib
import pkgutil
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

import sinew

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _modules() -> list[ModuleType]:
    names = [sinew.__name__] + [
        info.name for info in pkgutil.walk_packages(sinew.__path__, prefix=f"{sinew.__name__}.")
    ]
    return [importlib.import_module(name) for name in names]


def test_version_matches_the_project_metadata() -> None:
    with (PROJECT_ROOT / "pyproject.toml").open("rb") as handle:
        project = tomllib.load(handle)["project"]
    assert sinew.__version__ == project["version"]


def test_the_package_declares_itself_typed() -> None:
    assert (Path(sinew.__file__).parent / "py.typed").is_file()


@pytest.mark.parametrize("module", _modules(), ids=lambda module: module.__name__)
def test_every_module_is_documented_and_declares_its_public_names(module: ModuleType) -> None:
    assert (module.__doc__ or "").strip()
    public = getattr(module, "__all__", None)
    assert public is not None
    assert len(public) == len(set(public))
    assert [name for name in public if not hasattr(module, name)] == []


@pytest.mark.parametrize(
    "module", [sinew, importlib.import_module("sinew.blocking")], ids=lambda module: module.__name__
)
def test_no_public_name_shadows_a_builtin(module: ModuleType) -> None:
    # `from sinew import *` must not replace ConnectionError, TimeoutError and the like.
    assert [name for name in module.__all__ if hasattr(builtins, name)] == []


def test_the_connection_error_is_both_a_sinew_error_and_the_builtin() -> None:
    assert issubclass(sinew.SinewConnectionError, sinew.SinewError)
    assert issubclass(sinew.SinewConnectionError, builtins.ConnectionError)
    assert not hasattr(sinew, "ConnectionError")
