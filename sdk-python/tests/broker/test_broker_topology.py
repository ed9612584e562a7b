"""What the client does with the real broker's topology. The broker never pushes one: it
answers `TopologyRequest` with every queue and its partition count, under a generation that
counts the queues it holds. After a reconnection the client routes by the answer of the broker
it is connected to now, even when that generation is lower than the last one seen: a broker
replaced on the same address with fresh data counts from the beginning again. (A queue declared
elsewhere and learned on first use is in test_broker_routing.py.)"""

from __future__ import annotations

import asyncio
import shutil

from support.integration import broker_options
from support.real_broker import RealBroker

from sinew import OutgoingMessage, QueueOptions, SinewClient


async def test_after_reconnecting_to_a_broker_replaced_with_fresh_data_the_client_routes_by_its_topology(
    real_broker: RealBroker,
) -> None:
    async with SinewClient.connect(broker_options(real_broker)) as client:
        for n in range(4):
            await client.declare_queue(f"old-{n}", QueueOptions(partitions=2))
        assert (await client.topology()).generation == 4

        # The replacement listens on the same address with none of the old data, and gets a
        # queue the client has never seen.
        await asyncio.to_thread(real_broker.stop)
        shutil.rmtree(real_broker.data_dir)
        real_broker.data_dir.mkdir()
        await asyncio.to_thread(real_broker.start)
        async with SinewClient.connect(broker_options(real_broker)) as creator:
            await creator.declare_queue("new", QueueOptions(partitions=3))

        publisher = client.create_publisher("new")
        receipts = [await publisher.publish(OutgoingMessage.from_text(f"m{n}")) for n in range(3)]
        assert [r.partition for r in receipts] == [0, 1, 2]
        topology = await client.topology()
        assert topology.generation == 1
        # The broker's own $dead-letters queue is in every catalogue.
        assert sorted((c.topic, c.partitions) for c in topology.channels) == [("$dead-letters", 1), ("new", 3)]
