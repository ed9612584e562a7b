"""The error an encoder raises for a message it cannot write as a valid frame."""

from __future__ import annotations

__all__ = ["FrameEncodeError"]


class FrameEncodeError(ValueError):
    """A message, or a header value, that no valid frame can carry.

    Raised before any byte is produced: a required field is None, a value has the wrong
    Python type or is out of its wire type's range, a str is not encodable as UTF-8, or the
    flags are not allowed on the op. `field` is the path of the offending field, if any.
    """

    field: str | None

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        where = f"{field}: " if field else ""
        super().__init__(f"{where}{detail}")
        self.field = field
