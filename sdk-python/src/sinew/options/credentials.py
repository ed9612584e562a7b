"""Credentials sent in `Hello.auth`: a user name and password, or a bearer token."""

from __future__ import annotations

from dataclasses import dataclass, field

from sinew.errors import InvalidArgumentError
from sinew.wire.enums import AuthMechanism

__all__ = ["SinewCredentials"]


@dataclass(frozen=True, slots=True, init=False)
class SinewCredentials:
    """How the client authenticates. Build with `plain(...)` or `token(...)`.

    The secret is taken by the constructor and sent in the handshake, and is not readable
    afterwards: no public attribute holds it and `repr` never shows it, so options can be
    logged safely (as in the C# and TypeScript clients).
    """

    mechanism: AuthMechanism
    identity: str
    # Private, and out of repr: only the handshake reads it (sinew._core.converters).
    _secret: str = field(repr=False)

    def __init__(self, *, mechanism: AuthMechanism, identity: str, secret: str) -> None:
        for name, value in (("identity", identity), ("secret", secret)):
            if not isinstance(value, str):
                raise InvalidArgumentError(
                    f"credentials {name} must be a str",
                    argument=name,
                    reason="wrong_type",
                )
        # A frozen dataclass sets its fields through object.__setattr__.
        object.__setattr__(self, "mechanism", mechanism)
        object.__setattr__(self, "identity", identity)
        object.__setattr__(self, "_secret", secret)
        if mechanism == AuthMechanism.TOKEN and identity:
            raise InvalidArgumentError(
                "token credentials carry no identity",
                argument="identity",
                reason="conflicting_options",
            )

    @classmethod
    def plain(cls, username: str, password: str) -> SinewCredentials:
        """A user name and password (mechanism `plain`)."""
        return cls(mechanism=AuthMechanism.PLAIN, identity=username, secret=password)

    @classmethod
    def token(cls, token: str) -> SinewCredentials:
        """A bearer token (mechanism `token`)."""
        return cls(mechanism=AuthMechanism.TOKEN, identity="", secret=token)
