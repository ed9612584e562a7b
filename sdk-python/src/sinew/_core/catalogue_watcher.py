"""`CatalogueWatcher`: the changes of the client's catalogue as an async iterator. Each read
yields what changed since the watcher's previous one, merged, so a watcher that falls behind
costs one snapshot reference and never a queue of changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sinew.catalogue import Catalogue, CatalogueChange
from sinew.errors import ClientClosedError
from sinew.routing.catalogue_view import catalogue_change

if TYPE_CHECKING:
    from sinew._core.client_core import ClientCore

__all__ = ["CatalogueWatcher"]


class CatalogueWatcher:
    """Starts from the view as it is when the watcher is made; when the client holds none
    yet, the first read establishes it as `SinewClient.catalogue()` does. Iteration ends when
    the client closes."""

    def __init__(self, core: ClientCore) -> None:
        self._core = core
        self._seen: Catalogue | None = core.catalogue.current
        self._finished = False

    def __aiter__(self) -> CatalogueWatcher:
        return self

    async def __anext__(self) -> CatalogueChange:
        if self._finished:
            raise StopAsyncIteration
        try:
            if self._seen is None:
                self._seen = await self._core.read_catalogue("watch_catalogue()")
            view = self._core.catalogue
            while not self._core.is_closed:
                current = view.current
                assert current is not None
                change = catalogue_change(self._seen, current)
                self._seen = current
                if change is not None:
                    return change
                if not await self._core.unless_closing(view.wait_replaced(current)):
                    break
        except ClientClosedError:
            pass
        self._finished = True
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Stop watching; later reads end the iteration."""
        self._finished = True
