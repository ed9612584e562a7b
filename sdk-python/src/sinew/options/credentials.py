"""Credentials sent in `Hello.auth`: a user name and password, or a bearer token."""

from __future__ import annotations

from dataclasses import dataclass, field

from sinew.errors import InvalidArgumentError
from sinew.wire.enums import AuthMechanism

__all__ = ["SinewCredentials"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SinewCredentials:
    """How the client authenticates. Build with `plain(...)` or `token(...)`.

    The secret never appears in `repr`, so options can be logged safely.
    """

    mechanism: AuthMechanism
    identity: str
    secret: str = field(repr=False)

    def __post_init__(self) -> None:
        for name in ("identity", "secret"):
            if not isinstance(getattr(self, name), str):
                raise InvalidArgumentError(
                    f"credentials {name} must be a str",
                    argument=name,
                    reason="wrong_type",
                )
        if self.mechanism == AuthMechanism.TOKEN and self.identity:
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
