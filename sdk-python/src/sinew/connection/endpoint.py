"""Broker addresses: `host:port` strings parsed into a host and a port.

Accepted forms: `host:port`, `host` (the default port 7420), `[v6-address]:port` and
`[v6-address]`. Hostnames are not resolved here; that happens when connecting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sinew.errors import InvalidArgumentError

__all__ = ["DEFAULT_PORT", "Endpoint", "parse_endpoint"]

DEFAULT_PORT: Final = 7420


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def _invalid(text: str, why: str) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"endpoint {text!r} is not a broker address ({why}); expected host:port",
        argument="endpoints",
        reason="invalid_endpoint",
    )


def parse_endpoint(text: str) -> Endpoint:
    """Parse one address; raises `InvalidArgumentError` when it is not one."""
    if not isinstance(text, str):
        raise InvalidArgumentError(
            f"an endpoint must be a str, not {type(text).__name__}",
            argument="endpoints",
            reason="wrong_type",
        )
    stripped = text.strip()
    if not stripped:
        raise _invalid(text, "it is empty")
    if "://" in stripped:
        raise _invalid(text, "give the address without a scheme")
    if stripped.startswith("["):
        close = stripped.find("]")
        if close < 0:
            raise _invalid(text, "the '[' has no matching ']'")
        host, rest = stripped[1:close], stripped[close + 1 :]
        if rest and not rest.startswith(":"):
            raise _invalid(text, "unexpected text after ']'")
        port_text = rest[1:] if rest else None
    elif stripped.count(":") > 1:
        raise _invalid(text, "write IPv6 addresses in brackets, e.g. [::1]:7420")
    else:
        host, _, port_text_or_empty = stripped.partition(":")
        port_text = port_text_or_empty if ":" in stripped else None
    if not host:
        raise _invalid(text, "the host is empty")
    if port_text is None:
        return Endpoint(host=host, port=DEFAULT_PORT)
    if not port_text.isdecimal() or not port_text.isascii():
        raise _invalid(text, "the port is not a number")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise _invalid(text, "the port is outside 1..65535")
    return Endpoint(host=host, port=port)
