"""The router: which partition a publish goes to, and which routing version it names.

A keyed message goes to `fnv1a64(key) mod partitions`, keyless messages take turns over the
partitions (one turn counter per publisher), and without routing information a keyless
message goes to partition 0 (section 8.2 of the specification and the client API).
"""

from __future__ import annotations

from dataclasses import dataclass

from sinew.routing.fnv1a import partition_for_key
from sinew.routing.topology_cache import TopologyCache

__all__ = ["RoundRobin", "Route", "Router"]


class RoundRobin:
    """A turn counter for keyless publishes; each publisher owns one."""

    def __init__(self) -> None:
        self._next = 0

    def take(self, partitions: int) -> int:
        partition = self._next % partitions
        self._next = partition + 1
        return partition


@dataclass(frozen=True, slots=True)
class Route:
    """Where one message goes."""

    partition: int | None
    """The partition to name in the publish, or None to let the broker choose from the key."""
    routing_version: int | None


class Router:
    """Routes messages with the client's topology cache."""

    def __init__(self, cache: TopologyCache) -> None:
        self._cache = cache

    @property
    def cache(self) -> TopologyCache:
        return self._cache

    def knows(self, topic: str, group: str | None) -> bool:
        return self._cache.get(topic, group) is not None

    def partitions(self, topic: str, group: str | None) -> int | None:
        route = self._cache.get(topic, group)
        return route.partitions if route else None

    def route(self, topic: str, group: str | None, key: bytes | None, turns: RoundRobin) -> Route:
        known = self._cache.get(topic, group)
        if known is None:
            # A keyed message must not name a partition the client cannot compute: the broker
            # rejects a partition that is not the key's. It routes the key itself instead.
            return Route(partition=None if key is not None else 0, routing_version=None)
        if key is not None:
            partition = partition_for_key(key, known.partitions)
        else:
            partition = turns.take(known.partitions)
        return Route(partition=partition, routing_version=known.routing_version)
