"""`Topology`: the broker's catalogue of queues and streams, as `SinewClient.topology()`
returns it."""

from __future__ import annotations

from dataclasses import dataclass

from sinew.naming import normalise_group
from sinew.wire.enums import ChannelKind

__all__ = ["ChannelKind", "Topology", "TopologyBroker", "TopologyChannel"]


@dataclass(frozen=True, slots=True)
class TopologyBroker:
    broker_id: str
    endpoints: tuple[str, ...]
    """`host:port` addresses, in order of preference."""


@dataclass(frozen=True, slots=True)
class TopologyChannel:
    kind: ChannelKind
    topic: str
    group: str | None
    partitions: int
    routing_version: int
    owners: tuple[int, ...] | None
    """Per partition, an index into `Topology.brokers`; None when one broker owns all."""


@dataclass(frozen=True, slots=True)
class Topology:
    generation: int
    """Increases with every change to the catalogue."""
    brokers: tuple[TopologyBroker, ...]
    channels: tuple[TopologyChannel, ...]

    def find(self, topic: str, group: str | None = None) -> TopologyChannel | None:
        """The queue or stream `topic` in `group` (normalised), or None."""
        wanted = normalise_group(group)
        for channel in self.channels:
            if channel.topic == topic and channel.group == wanted:
                return channel
        return None
