"""Partition routing: the FNV-1a key hash, the topology cache and the router.

`fnv1a64` and `partition_for_key` compute exactly what the broker computes (section 8.2 of
the specification); `TopologyCache` holds what the client learned about each queue and
`Router` turns that into the partition of each publish.
"""

from __future__ import annotations

from sinew.routing.fnv1a import FNV1A64_OFFSET_BASIS, FNV1A64_PRIME, fnv1a64, partition_for_key
from sinew.routing.router import RoundRobin, Route, Router
from sinew.routing.topology_cache import ChannelRoute, TopologyCache

__all__ = [
    "FNV1A64_OFFSET_BASIS",
    "FNV1A64_PRIME",
    "ChannelRoute",
    "RoundRobin",
    "Route",
    "Router",
    "TopologyCache",
    "fnv1a64",
    "partition_for_key",
]
