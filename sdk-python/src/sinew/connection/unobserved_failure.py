"""`FailureReportingFuture`: a future whose failure is logged when nobody retrieved it.

Settlements and pipelined publish confirmations act whether or not the application awaits
their result. A failure nobody awaits must not vanish, nor surface as asyncio's "Future
exception was never retrieved" error through the event loop's exception handler: it is logged
once, at WARNING on the `sinew` logger, when the future is garbage collected without its
outcome having been retrieved (awaited, `result()` or `exception()` called), the same moment
asyncio would report it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TypeVar

__all__ = ["FailureReportingFuture"]

_log = logging.getLogger("sinew.unobserved")

_T = TypeVar("_T")


class FailureReportingFuture(asyncio.Future[_T]):
    """An `asyncio.Future` that logs an unretrieved failure instead of leaving it to the
    loop's exception handler. `what` names the operation in the log line."""

    def __init__(self, *, loop: asyncio.AbstractEventLoop, what: str) -> None:
        super().__init__(loop=loop)
        self._what = what

    def __del__(self) -> None:
        # asyncio sets this flag when an exception is stored and clears it once the outcome
        # is retrieved; reading the exception here clears it, so asyncio logs nothing more.
        if self._log_traceback:
            error = self.exception()
            _log.warning(
                "%s failed and nobody awaited its result: %s", self._what, _describe(error)
            )
        super().__del__()


def _describe(error: BaseException | None) -> str:
    message = getattr(error, "message", None)
    if isinstance(message, str):
        return message
    return f"{type(error).__name__}: {error}"
