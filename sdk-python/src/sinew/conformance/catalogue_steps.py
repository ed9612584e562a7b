"""The catalogue steps of the conformance driver: the catalogue a client holds, and the next
change a watcher of it reports. A client's watcher starts at its first `catalogue` step (or its
first `next_catalogue_change`) and lives as long as the client."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field

from sinew.catalogue import CatalogueChange, CatalogueEntry
from sinew.client import SinewClient
from sinew.conformance.arguments import DriverError, Result
from sinew.errors import OperationTimeoutError
from sinew.topology import ChannelKind

__all__ = ["CatalogueSteps"]

DEFAULT_CHANGE_TIMEOUT_MS = 5000


@dataclass
class _Watch:
    changes: AsyncIterator[CatalogueChange]
    reading: asyncio.Future[CatalogueChange] | None = field(default=None)


def _queues(entries: Iterable[CatalogueEntry]) -> list[Result]:
    return [
        {
            "topic": entry.topic,
            "group": entry.group,
            "partitions": entry.partitions,
            "routing_version": str(entry.routing_version),
        }
        for entry in entries
        if entry.kind == ChannelKind.QUEUE
    ]


class CatalogueSteps:
    def __init__(self) -> None:
        # Keyed by the client itself, so a reset (which closes and forgets every client)
        # leaves nothing behind.
        self._watches: weakref.WeakKeyDictionary[SinewClient, _Watch] = weakref.WeakKeyDictionary()

    def _watch(self, client: SinewClient) -> _Watch:
        watch = self._watches.get(client)
        if watch is None:
            watch = _Watch(client.watch_catalogue())
            self._watches[client] = watch
        return watch

    async def catalogue(self, client: SinewClient) -> Result:
        catalogue = await client.catalogue()
        self._watch(client)
        return {"generation": str(catalogue.generation), "queues": _queues(catalogue.entries)}

    async def next_change(self, client: SinewClient, timeout_ms: int | None) -> Result:
        timeout_ms = DEFAULT_CHANGE_TIMEOUT_MS if timeout_ms is None else timeout_ms
        watch = self._watch(client)
        # A step that times out leaves the read running, so the change it waits for is
        # reported by the next step rather than lost.
        if watch.reading is None:
            watch.reading = asyncio.ensure_future(anext(watch.changes))
        done, _ = await asyncio.wait({watch.reading}, timeout=timeout_ms / 1000)
        if not done:
            raise OperationTimeoutError(
                f"no catalogue change arrived within {timeout_ms} ms", timeout=timeout_ms / 1000
            )
        reading, watch.reading = watch.reading, None
        try:
            change = reading.result()
        except StopAsyncIteration:
            raise DriverError("the catalogue watch ended: the client was closed") from None
        return {
            "added": _queues(change.added),
            "removed": _queues(change.removed),
            "changed": _queues(change.changed),
        }
