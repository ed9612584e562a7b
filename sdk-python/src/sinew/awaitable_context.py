"""`AwaitableContext`: the result of `SinewClient.connect` and `SinewClient.subscribe`, which
can be awaited for the handle or used directly in `async with`::

    client = await SinewClient.connect(options)
    async with SinewClient.connect(options) as client: ...
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Generator
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

__all__ = ["AwaitableContext"]


class _AsyncClosable(Protocol):
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


_T = TypeVar("_T", bound=_AsyncClosable)


class AwaitableContext(Generic[_T]):
    """Awaiting runs the operation once and gives its handle; `async with` does the same
    and closes the handle on exit. Nothing runs until one of the two happens."""

    def __init__(self, start: Callable[[], Coroutine[Any, Any, _T]]) -> None:
        self._start = start
        self._entered: _T | None = None

    def __await__(self) -> Generator[Any, None, _T]:
        return self._start().__await__()

    async def __aenter__(self) -> _T:
        if self._entered is not None:
            raise RuntimeError("this context is already entered")
        self._entered = await self._start()
        return self._entered

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        entered, self._entered = self._entered, None
        if entered is not None:
            await entered.__aexit__(exc_type, exc, traceback)
