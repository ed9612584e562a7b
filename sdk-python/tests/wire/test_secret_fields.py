"""A field the registry marks secret never shows in the repr of its record, nor of what holds it."""

from __future__ import annotations

import dataclasses
from typing import Any

from vector_support import registry

from sinew.wire import messages
from sinew.wire.enums import AuthMechanism

SECRET_VALUE = "s3cret-never-printed"


def _owners() -> list[tuple[str, list[dict[str, Any]]]]:
    """Every op and record with its registry fields."""
    protocol = registry()
    return [(op["name"], op["fields"]) for op in protocol["ops"]] + list(protocol["records"].items())


def _secret_fields() -> list[tuple[str, str]]:
    return [(owner, spec["name"]) for owner, fields in _owners() for spec in fields if spec.get("secret")]


def test_auth_repr_leaves_the_secret_out() -> None:
    auth = messages.Auth(mechanism=AuthMechanism.PLAIN, identity="alice", secret=SECRET_VALUE)

    assert repr(auth) == "Auth(mechanism=<AuthMechanism.PLAIN: 0>, identity='alice')"
    assert auth.secret == SECRET_VALUE  # hidden from repr only, still encoded and compared


def test_a_hello_carrying_credentials_does_not_show_the_secret() -> None:
    hello = messages.Hello(
        min_version=1,
        max_version=1,
        client_name="sinew-test",
        client_version="1.0.0",
        auth=messages.Auth(mechanism=AuthMechanism.TOKEN, identity="", secret=SECRET_VALUE),
    )

    shown = [repr(hello), str(hello), f"{hello}", repr([hello])]

    assert all(SECRET_VALUE not in text for text in shown)
    assert "auth=Auth(mechanism=<AuthMechanism.TOKEN: 1>, identity='')" in repr(hello)


def test_every_field_the_registry_marks_secret_is_left_out_of_repr() -> None:
    secret_fields = _secret_fields()
    assert secret_fields, "the registry marks Auth.secret; without it this test checks nothing"

    for owner, name in secret_fields:
        python_field = next(f for f in dataclasses.fields(getattr(messages, owner)) if f.name == name)
        assert python_field.repr is False, f"{owner}.{name}"
