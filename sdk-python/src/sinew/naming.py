"""The rules for names, header keys and groups (section 7 of the specification).

Validators return None for an acceptable value, or the reason it is refused: a
`NameViolation`, which is a str equal to the reason the broker reports in `details.reason`.
Lengths are counted in UTF-8 bytes, and names are compared byte for byte with no case
folding or Unicode normalisation.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from sinew.wire.limits import MAX_HEADER_KEY_BYTES, MAX_NAME_BYTES, MAX_PRODUCER_ID_BYTES

__all__ = [
    "CLIENT_HEADER_PREFIX",
    "RESERVED_HEADER_PREFIX",
    "NameViolation",
    "normalise_group",
    "validate_header_key",
    "validate_name",
]


class NameViolation(StrEnum):
    """Why a name or header key is refused."""

    EMPTY = "empty"
    INVALID_UNICODE = "invalid_unicode"
    TOO_LONG = "too_long"
    RESERVED_NAME = "reserved_name"
    RESERVED_PREFIX = "reserved_prefix"
    CONTROL_CHARACTER = "control_character"
    WHITESPACE = "whitespace"
    RESERVED_CHARACTER = "reserved_character"


RESERVED_HEADER_PREFIX: Final = "sinew."
"""Header keys with this prefix, in any ASCII case, belong to the broker."""

CLIENT_HEADER_PREFIX: Final = "sinew.client."
"""The exception to the reservation: client libraries keep their own metadata here."""

_RESERVED_NAMES: Final = frozenset({".", ".."})
_BROKER_PREFIX: Final = "$"
_WHITESPACE: Final = frozenset(
    "\u0020\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\u200b\ufeff"
)
_RESERVED_CHARACTERS: Final = frozenset("*>?#/\\")
_ASCII_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _utf8_length(text: str) -> int | None:
    """The UTF-8 length, or None for a str holding an unpaired surrogate (no UTF-8 form)."""
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return None


def _is_control(character: str) -> bool:
    code_point = ord(character)
    return code_point <= 0x1F or 0x7F <= code_point <= 0x9F


def validate_name(
    name: str, *, producer_id: bool = False, allow_broker_owned: bool = False
) -> NameViolation | None:
    """Check a topic, group, stream cursor name or (with `producer_id`) a producer id.

    The checks run in the specification's order and the first failure is returned: empty,
    an unpaired surrogate, too long (200 bytes, 64 for producer ids), exactly `.` or `..`, a
    leading `$`, then per character a control character, whitespace or one of
    `* > ? # / \\`.

    `allow_broker_owned` lets a leading `$` through, for a topic that may name a queue the
    broker owns (`$dead-letters`): subscribing and looking a queue up may name one, declaring
    and publishing may not. Whether such a queue exists is the broker's to say.
    """
    if not name:
        return NameViolation.EMPTY
    length = _utf8_length(name)
    if length is None:
        return NameViolation.INVALID_UNICODE
    if length > (MAX_PRODUCER_ID_BYTES if producer_id else MAX_NAME_BYTES):
        return NameViolation.TOO_LONG
    if name in _RESERVED_NAMES:
        return NameViolation.RESERVED_NAME
    if name.startswith(_BROKER_PREFIX) and not allow_broker_owned:
        return NameViolation.RESERVED_PREFIX
    for character in name:
        if _is_control(character):
            return NameViolation.CONTROL_CHARACTER
        if character in _WHITESPACE:
            return NameViolation.WHITESPACE
        if character in _RESERVED_CHARACTERS:
            return NameViolation.RESERVED_CHARACTER
    return None


def validate_header_key(key: str) -> NameViolation | None:
    """Check a user header key: 1 to 128 bytes of UTF-8, no control character, not reserved.

    The checks run in the specification's order: empty, an unpaired surrogate, too long,
    control character, reserved prefix. Keys starting `sinew.` in any ASCII case are reserved
    for the broker, except those starting `sinew.client.`.
    """
    if not key:
        return NameViolation.EMPTY
    length = _utf8_length(key)
    if length is None:
        return NameViolation.INVALID_UNICODE
    if length > MAX_HEADER_KEY_BYTES:
        return NameViolation.TOO_LONG
    if any(_is_control(character) for character in key):
        return NameViolation.CONTROL_CHARACTER
    # ASCII-only folding: str.lower() would also fold non-ASCII letters.
    folded = key.translate(_ASCII_LOWER)
    if folded.startswith(RESERVED_HEADER_PREFIX) and not folded.startswith(CLIENT_HEADER_PREFIX):
        return NameViolation.RESERVED_PREFIX
    return None


def normalise_group(group: str | None) -> str | None:
    """The group as sent on the wire: None for the ungrouped queue.

    `""` and exactly `"default"` (lower case) mean "no group", like None.
    """
    if group is None or group == "" or group == "default":
        return None
    return group
