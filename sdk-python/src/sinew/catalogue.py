"""`Catalogue`: the client's live view of the broker's queues and streams, as
`SinewClient.catalogue()` returns it, one `CatalogueEntry` per channel, and the
`CatalogueChange` a watcher receives when the view changes."""

from __future__ import annotations

from dataclasses import dataclass

from sinew.naming import normalise_group
from sinew.wire.enums import ChannelKind

__all__ = ["Catalogue", "CatalogueChange", "CatalogueEntry"]


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """One queue or stream. Two entries with the same kind, topic and group are the same
    channel; it has changed when its partition count or routing version differs."""

    kind: ChannelKind
    topic: str
    group: str | None
    partitions: int
    routing_version: int
    """The version publishes routed by this entry carry; it increases whenever the channel's
    partitioning changes."""


@dataclass(frozen=True, slots=True)
class Catalogue:
    """A snapshot of the broker's catalogue as the client holds it. The client keeps its view
    live from the broker's pushes; a snapshot never changes, a later call returns a newer one."""

    generation: int
    """Orders the snapshots of one session only: after a reconnection the broker may count
    from elsewhere (a restarted broker starts again)."""
    entries: tuple[CatalogueEntry, ...]

    def find(self, topic: str, group: str | None = None) -> CatalogueEntry | None:
        """The queue or stream `topic` in `group` (normalised), or None."""
        wanted = normalise_group(group)
        for entry in self.entries:
            if entry.topic == topic and entry.group == wanted:
                return entry
        return None


@dataclass(frozen=True, slots=True)
class CatalogueChange:
    """What changed between the catalogue a watcher saw last and the current one. Changes are
    coalesced: a watcher that reads late gets one change covering everything since its
    previous one, so a channel added and removed in between appears in neither list."""

    generation: int
    """The generation of the catalogue the change leads to (comparable within a session)."""
    added: tuple[CatalogueEntry, ...]
    removed: tuple[CatalogueEntry, ...]
    """As they were last seen; after a reconnection, every channel the fresh catalogue no
    longer lists."""
    changed: tuple[CatalogueEntry, ...]
    """As they are now: their partition count or routing version changed."""
