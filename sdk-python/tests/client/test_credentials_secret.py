"""The secret of `SinewCredentials` goes into the handshake and nowhere else: the constructor
takes it, but no public attribute returns it and `repr` never shows it, as in the C# and
TypeScript clients."""

from __future__ import annotations

import dataclasses

import pytest

from sinew import SinewClientOptions, SinewCredentials
from sinew._core.converters import credentials_to_wire

SECRET = "s3cret-password"


@pytest.mark.parametrize(
    "credentials",
    [SinewCredentials.plain("alice", SECRET), SinewCredentials.token(SECRET)],
    ids=["plain", "token"],
)
def test_no_public_attribute_returns_the_secret(credentials: SinewCredentials) -> None:
    assert not hasattr(credentials, "secret")
    public = {name: getattr(credentials, name) for name in dir(credentials) if not name.startswith("_")}
    assert SECRET not in [value for value in public.values() if isinstance(value, str)]
    assert "secret" not in {field.name for field in dataclasses.fields(credentials)}


def test_repr_of_the_credentials_and_of_options_holding_them_hides_the_secret() -> None:
    credentials = SinewCredentials.plain("alice", SECRET)
    assert SECRET not in repr(credentials)
    assert SECRET not in repr(SinewClientOptions(credentials=credentials))
    assert "alice" in repr(credentials)


def test_the_constructor_takes_the_secret_and_the_handshake_sends_it() -> None:
    credentials = SinewCredentials.plain("alice", SECRET)
    assert credentials == SinewCredentials.plain("alice", SECRET)
    assert credentials != SinewCredentials.plain("alice", "other")
    assert credentials_to_wire(credentials).secret == SECRET
