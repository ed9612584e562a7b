"""The public surface names no wire record and no connection type: every annotation of every
public class, function, method, property and field exported by `sinew` and `sinew.blocking`
is read, and none may refer to `sinew.wire.messages`, `sinew.connection` or `sinew._core`.
The protocol's enums (`AckMode`, `ChannelKind`, ...) are public values and allowed."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import typing
from collections.abc import Iterator
from types import ModuleType

import pytest

import sinew

INTERNAL_MODULES = ("sinew.wire.messages", "sinew.connection", "sinew._core")


def _types_in(annotation: object) -> Iterator[object]:
    yield annotation
    for argument in typing.get_args(annotation):
        yield from _types_in(argument)


def _annotations_of(value: object) -> dict[str, object]:
    try:
        return typing.get_type_hints(value)
    except TypeError:
        return {}


def _public_annotations(value: object) -> Iterator[tuple[str, object]]:
    """(where, annotation) for every annotation of a public name."""
    if inspect.isfunction(value):
        for name, annotation in _annotations_of(value).items():
            yield f"{value.__qualname__}({name})", annotation
        return
    if not inspect.isclass(value):
        return
    if dataclasses.is_dataclass(value):
        for name, annotation in _annotations_of(value).items():
            if not name.startswith("_"):
                yield f"{value.__qualname__}.{name}", annotation
    # Members the class and its Sinew bases define; those of builtins and the standard
    # library (Exception, Enum, ...) are not the client's signatures.
    owners = [
        owner
        for owner in value.__mro__
        if owner is value or owner.__module__.startswith("sinew")
    ]
    for owner in owners:
        for name, member in vars(owner).items():
            if name.startswith("_") and name != "__init__":
                continue
            if isinstance(member, classmethod | staticmethod):
                member = member.__func__
            if isinstance(member, property) and member.fget is not None:
                for _, annotation in _annotations_of(member.fget).items():
                    yield f"{value.__qualname__}.{name}", annotation
            elif inspect.isfunction(member):
                for argument, annotation in _annotations_of(member).items():
                    yield f"{value.__qualname__}.{name}({argument})", annotation


def _leaks(module: ModuleType) -> list[str]:
    found = []
    for exported in module.__all__:
        for where, annotation in _public_annotations(getattr(module, exported)):
            for part in _types_in(annotation):
                origin = getattr(part, "__module__", "")
                if isinstance(origin, str) and origin.startswith(INTERNAL_MODULES):
                    found.append(f"{where}: {getattr(part, '__qualname__', part)}")
    return sorted(set(found))


@pytest.mark.parametrize(
    "module", [sinew, importlib.import_module("sinew.blocking")], ids=lambda module: module.__name__
)
def test_no_public_signature_names_a_wire_record_or_a_connection_type(module: ModuleType) -> None:
    assert _leaks(module) == []


def test_the_check_sees_signatures() -> None:
    # The annotations read include those of the handles' methods and of the option fields.
    where = {where for where, _ in _public_annotations(sinew.Delivery)}
    assert "Delivery.ack(return)" in where and "Delivery.payload" in where
    fields = {where for where, _ in _public_annotations(sinew.SinewClientOptions)}
    assert "SinewClientOptions.credentials" in fields


class _Leaky:
    def take(self, message: sinew.wire.messages.Deliver) -> None: ...


def test_the_check_finds_a_leak() -> None:
    module = ModuleType("leaky")
    module.__all__ = ["Leaky"]  # type: ignore[attr-defined]
    module.Leaky = _Leaky  # type: ignore[attr-defined]
    assert _leaks(module) == ["_Leaky.take(message): Deliver"]
