"""The topology cache: what the client knows about each queue's partitions.

Entries come from two sources (section 8.2 of the specification): a `DeclareQueueOk`, which
gives the partition count but no routing version, and a `Topology` (a reply or a push), which
gives both. A `Topology` older than one already applied in the same session is ignored, so
a late reply cannot roll the cache back.
"""

from __future__ import annotations

from dataclasses import dataclass

from sinew.naming import normalise_group
from sinew.wire.enums import ChannelKind
from sinew.wire.messages import Topology

__all__ = ["ChannelRoute", "TopologyCache"]

ChannelKey = tuple[str, str | None]


@dataclass(frozen=True, slots=True)
class ChannelRoute:
    """The routing facts for one queue or stream."""

    partitions: int
    routing_version: int | None
    """The version to send in `Publish.routing_version`; None when only a `DeclareQueueOk`
    has been seen, which carries no version."""
    kind: ChannelKind = ChannelKind.QUEUE


class TopologyCache:
    """Partition counts and routing versions per (topic, group), group normalised."""

    def __init__(self) -> None:
        self._routes: dict[ChannelKey, ChannelRoute] = {}
        self._generation: int | None = None
        self._generation_session: str | None = None

    def forget(self, topic: str, group: str | None) -> None:
        """Drop what is known about a queue."""
        self._routes.pop((topic, normalise_group(group)), None)

    @property
    def generation(self) -> int | None:
        """The generation of the last `Topology` applied, or None before the first."""
        return self._generation

    def get(self, topic: str, group: str | None) -> ChannelRoute | None:
        return self._routes.get((topic, normalise_group(group)))

    def learn_partitions(self, topic: str, group: str | None, partitions: int) -> None:
        """Record the partition count a `DeclareQueueOk` reported."""
        key = (topic, normalise_group(group))
        known = self._routes.get(key)
        # The count is fixed at creation, so a known routing version stays valid when the
        # count agrees; a different count means the queue was recreated and the version is
        # no longer trustworthy.
        version = known.routing_version if known and known.partitions == partitions else None
        self._routes[key] = ChannelRoute(partitions=partitions, routing_version=version)

    def apply(self, topology: Topology, session: str | None = None) -> bool:
        """Apply a catalogue; returns False when it is older than the one already applied
        in the same `session`.

        Generations order the catalogues of one session only: after a reconnection the broker
        may be another one, or the same with its data started afresh, counting from the
        beginning again, and its catalogue is the one that routes now.

        Channels missing from the catalogue are kept: a publish to a deleted queue is
        answered `not_found` by the broker either way, and dropping the entry would only
        lose the partition count of a queue that is recreated alike.
        """
        if (
            self._generation is not None
            and session == self._generation_session
            and topology.generation < self._generation
        ):
            return False
        self._generation = topology.generation
        self._generation_session = session
        for channel in topology.channels:
            self._routes[(channel.topic, normalise_group(channel.group))] = ChannelRoute(
                partitions=channel.partitions,
                routing_version=channel.routing_version,
                kind=channel.kind,
            )
        return True
