"""Argument checks shared by the option records, the message types and the handles. Each
raises `InvalidArgumentError` with the argument and the broker's reason name, so a refusal
reads the same before and after sending."""

from __future__ import annotations

from collections.abc import Mapping

from sinew.errors import InvalidArgumentError
from sinew.naming import normalise_group, validate_header_key, validate_name
from sinew.wire.limits import MAX_CONTENT_TYPE_BYTES, MAX_HEADER_VALUE_BYTES, MAX_U32

__all__ = [
    "require_content_type",
    "require_group",
    "require_headers",
    "require_name",
    "require_topic_and_group",
    "require_u32",
    "require_utf8",
]


def require_name(
    name: object, *, argument: str, producer_id: bool = False, allow_broker_owned: bool = False
) -> str:
    """A valid topic, group, cursor or (with `producer_id`) producer id, or the refusal.
    `allow_broker_owned` accepts the `$` of a queue the broker owns (see `validate_name`)."""
    if not isinstance(name, str):
        raise InvalidArgumentError(
            f"{argument} must be a str, not {type(name).__name__}",
            argument=argument,
            reason="wrong_type",
        )
    violation = validate_name(
        name, producer_id=producer_id, allow_broker_owned=allow_broker_owned
    )
    if violation is not None:
        raise InvalidArgumentError(
            f"{argument} {name!r} is not a valid name ({violation.value.replace('_', ' ')})",
            argument=argument,
            reason=violation.value,
        )
    return name


def require_group(group: object, *, argument: str = "group") -> str | None:
    """The normalised group (`""` and `"default"` become None), checked as a name."""
    if group is not None and not isinstance(group, str):
        raise InvalidArgumentError(
            f"{argument} must be a str or None, not {type(group).__name__}",
            argument=argument,
            reason="wrong_type",
        )
    normalised = normalise_group(group)
    if normalised is not None:
        require_name(normalised, argument=argument)
    return normalised


def require_topic_and_group(
    topic: object, group: object, *, allow_broker_owned: bool = False
) -> tuple[str, str | None]:
    """The checked topic and the normalised, checked group. `allow_broker_owned` lets the
    topic name a queue the broker owns (`$dead-letters`), as subscribing may; the group is
    checked as ever."""
    return (
        require_name(topic, argument="topic", allow_broker_owned=allow_broker_owned),
        require_group(group),
    )


def require_utf8(
    text: object, *, argument: str, max_bytes: int, label: str | None = None
) -> str:
    """A str with a UTF-8 form of at most `max_bytes` bytes. `label` names the value in
    messages when it is not the whole argument (one header's value)."""
    name = label or argument
    if not isinstance(text, str):
        raise InvalidArgumentError(
            f"{name} must be a str, not {type(text).__name__}",
            argument=argument,
            reason="wrong_type",
        )
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidArgumentError(
            f"{name} holds an unpaired surrogate, which has no UTF-8 form",
            argument=argument,
            reason="invalid_unicode",
        ) from None
    if size > max_bytes:
        raise InvalidArgumentError(
            f"{name} is {size} bytes of UTF-8, more than the limit of {max_bytes}",
            argument=argument,
            reason="too_long",
        )
    return text


def require_content_type(content_type: object) -> str:
    return require_utf8(content_type, argument="content_type", max_bytes=MAX_CONTENT_TYPE_BYTES)


def require_headers(headers: object) -> dict[str, str]:
    """A copy of user headers with every key and value checked (section 7.3)."""
    if not isinstance(headers, Mapping):
        raise InvalidArgumentError(
            f"headers must be a mapping of str to str, not {type(headers).__name__}",
            argument="headers",
            reason="wrong_type",
        )
    checked: dict[str, str] = {}
    for key, value in headers.items():
        if not isinstance(key, str):
            raise InvalidArgumentError(
                f"header keys must be str, not {type(key).__name__}",
                argument="headers",
                reason="wrong_type",
            )
        violation = validate_header_key(key)
        if violation is not None:
            raise InvalidArgumentError(
                f"header key {key!r} is refused ({violation.value.replace('_', ' ')}); keys "
                "starting 'sinew.' are reserved for the broker except 'sinew.client.'",
                argument="headers",
                reason=violation.value,
            )
        checked[key] = require_utf8(
            value,
            argument="headers",
            max_bytes=MAX_HEADER_VALUE_BYTES,
            label=f"the value of header {key!r}",
        )
    return checked


def require_u32(value: object, *, argument: str, minimum: int = 0, maximum: int = MAX_U32) -> int:
    """An int within `minimum..maximum` (at most the wire's u32 range)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(
            f"{argument} must be an int, not {type(value).__name__}",
            argument=argument,
            reason="wrong_type",
        )
    if not minimum <= value <= maximum:
        raise InvalidArgumentError(
            f"{argument} must be within {minimum}..{maximum}, got {value}",
            argument=argument,
            reason="out_of_range",
        )
    return value
