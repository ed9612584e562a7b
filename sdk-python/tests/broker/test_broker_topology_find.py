"""Finding a queue in the broker's catalogue by topic and group, the same in every client: the
group is normalised (None, "" and "default" mean none), and a queue the catalogue lacks is
None."""

from __future__ import annotations

from support.integration import broker_options
from support.real_broker import RealBroker

from sinew import QueueOptions, SinewClient, TopologyChannel


def _describe(channel: TopologyChannel | None) -> tuple[str, str | None, int] | None:
    return None if channel is None else (channel.topic, channel.group, channel.partitions)


async def test_find_returns_the_channel_of_a_topic_and_group_or_none(
    module_broker: RealBroker, queue_name: str
) -> None:
    async with SinewClient.connect(broker_options(module_broker)) as client:
        await client.declare_queue(queue_name, QueueOptions(partitions=2))
        await client.declare_queue(queue_name, QueueOptions(group="eu", partitions=3))
        topology = await client.topology()
    assert _describe(topology.find(queue_name)) == (queue_name, None, 2)
    assert _describe(topology.find(queue_name, "default")) == (queue_name, None, 2)
    assert _describe(topology.find(queue_name, "")) == (queue_name, None, 2)
    assert _describe(topology.find(queue_name, "eu")) == (queue_name, "eu", 3)
    assert topology.find(queue_name, "us") is None
    assert topology.find(f"{queue_name}.missing") is None
