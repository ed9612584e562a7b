"""The router and topology cache on their own: key routing, keyless turns, no-information
fallbacks and generation ordering."""

from __future__ import annotations

from sinew.routing import ChannelRoute, RoundRobin, Router, TopologyCache, partition_for_key
from sinew.wire import BrokerInfo, ChannelInfo, ChannelKind, Topology


def _topology(generation: int, partitions: int, topic: str = "orders", group: str | None = None) -> Topology:
    return Topology(
        generation=generation,
        brokers=(BrokerInfo(broker_id="b", endpoints=("h:1",)),),
        channels=(
            ChannelInfo(kind=ChannelKind.QUEUE, topic=topic, group=group, partitions=partitions, routing_version=7),
        ),
    )


def test_keyed_messages_go_to_the_fnv1a_partition() -> None:
    cache = TopologyCache()
    cache.learn_partitions("orders", None, 8)
    router = Router(cache)
    for key in (b"a", b"customer-42", "ключ".encode()):
        assert router.route("orders", None, key, RoundRobin()).partition == partition_for_key(key, 8)


def test_keyless_messages_take_turns_per_publisher() -> None:
    cache = TopologyCache()
    cache.learn_partitions("orders", None, 3)
    router = Router(cache)
    first, second = RoundRobin(), RoundRobin()
    assert [router.route("orders", None, None, first).partition for _ in range(5)] == [0, 1, 2, 0, 1]
    assert router.route("orders", None, None, second).partition == 0


def test_without_routing_information_keyless_goes_to_partition_zero_and_keyed_to_the_broker() -> None:
    router = Router(TopologyCache())
    assert router.route("unknown", None, None, RoundRobin()).partition == 0
    # The client cannot compute the key's partition, and naming a wrong one is refused.
    assert router.route("unknown", None, b"key", RoundRobin()).partition is None


def test_groups_are_normalised_in_the_cache() -> None:
    cache = TopologyCache()
    cache.learn_partitions("orders", "default", 2)
    assert cache.get("orders", None) == ChannelRoute(partitions=2, routing_version=None)
    assert cache.get("orders", "") is not None
    assert cache.get("orders", "eu") is None


def test_a_topology_carries_the_routing_version_and_an_older_one_is_ignored() -> None:
    cache = TopologyCache()
    assert cache.apply(_topology(5, 4))
    assert cache.get("orders", None) == ChannelRoute(partitions=4, routing_version=7)
    assert not cache.apply(_topology(4, 9))
    assert cache.get("orders", None) == ChannelRoute(partitions=4, routing_version=7)
    assert cache.generation == 5


def test_a_declare_keeps_the_routing_version_only_when_the_count_agrees() -> None:
    cache = TopologyCache()
    cache.apply(_topology(1, 4))
    cache.learn_partitions("orders", None, 4)
    assert cache.get("orders", None) == ChannelRoute(partitions=4, routing_version=7)
    cache.learn_partitions("orders", None, 6)
    assert cache.get("orders", None) == ChannelRoute(partitions=6, routing_version=None)
