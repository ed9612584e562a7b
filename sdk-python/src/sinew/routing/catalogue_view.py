"""`CatalogueView`: the client's live catalogue. It holds the latest snapshot applied from a
`Topology` (a reply or a push) and the session it came from, tells listeners of each change,
and lets watchers wait for the next snapshot.

Watchers keep no queue: each remembers the snapshot it saw last and compares it with the
current one when it reads, so a watcher that never reads holds one reference however many
topologies arrive. Generations are compared within a session only (section 8.9).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sinew.catalogue import Catalogue, CatalogueChange, CatalogueEntry
from sinew.naming import normalise_group
from sinew.wire.enums import ChannelKind
from sinew.wire.messages import Topology

__all__ = ["CatalogueView", "catalogue_change"]

_log = logging.getLogger("sinew.client")

_Key = tuple[ChannelKind, str, str | None]


def _key(entry: CatalogueEntry) -> _Key:
    return (entry.kind, entry.topic, entry.group)


def catalogue_change(before: Catalogue, after: Catalogue) -> CatalogueChange | None:
    """What changed from `before` to `after`; None when nothing did."""
    old = {_key(entry): entry for entry in before.entries}
    added: list[CatalogueEntry] = []
    changed: list[CatalogueEntry] = []
    for entry in after.entries:
        was = old.pop(_key(entry), None)
        if was is None:
            added.append(entry)
        elif was != entry:
            changed.append(entry)
    # In the order the earlier snapshot listed them, as added and changed follow the later one's.
    removed = tuple(entry for entry in before.entries if _key(entry) in old)
    if not added and not changed and not removed:
        return None
    return CatalogueChange(
        generation=after.generation, added=tuple(added), removed=removed, changed=tuple(changed)
    )


class CatalogueView:
    def __init__(self) -> None:
        self._current: Catalogue | None = None
        self._session: str | None = None
        self._replaced = asyncio.Event()
        self._listeners: list[Callable[[CatalogueChange], None]] = []

    @property
    def current(self) -> Catalogue | None:
        """The latest snapshot; None until the first topology establishes the view."""
        return self._current

    def is_from(self, session: str) -> bool:
        """Whether the current snapshot came from `session`."""
        return self._current is not None and self._session == session

    def apply(self, topology: Topology, session: str) -> bool:
        """Replace the snapshot, unless one of the same session with the same or a newer
        generation is held (a reply and a push can cross); returns whether it was applied."""
        previous = self._current
        if (
            previous is not None
            and self._session == session
            and topology.generation <= previous.generation
        ):
            return False
        current = Catalogue(
            generation=topology.generation,
            entries=tuple(
                CatalogueEntry(
                    kind=ChannelKind(channel.kind),
                    topic=channel.topic,
                    group=normalise_group(channel.group),
                    partitions=channel.partitions,
                    routing_version=channel.routing_version,
                )
                for channel in topology.channels
            ),
        )
        self._current = current
        self._session = session
        replaced, self._replaced = self._replaced, asyncio.Event()
        replaced.set()
        # Establishing the view is not a change; every later replacement that differs is.
        change = None if previous is None else catalogue_change(previous, current)
        if change is not None and self._listeners:
            # Listeners run on a later turn of the event loop, never inside the read loop.
            loop = asyncio.get_running_loop()
            for listener in list(self._listeners):
                loop.call_soon(_call_listener, listener, change)
        return True

    async def wait_replaced(self, seen: Catalogue | None) -> None:
        """Return once the current snapshot is no longer `seen`."""
        if self._current is not seen:
            return
        await self._replaced.wait()

    def listen(self, listener: Callable[[CatalogueChange], None]) -> Callable[[], None]:
        """Add a listener; returns the function that removes it."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove


def _call_listener(listener: Callable[[CatalogueChange], None], change: CatalogueChange) -> None:
    try:
        listener(change)
    except Exception:
        _log.exception("a catalogue change callback raised; the change it was given: %s", change)
