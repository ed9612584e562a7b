"""Partitions: keyed messages keep their order on one partition, keyless ones spread out,
and a subscription reads every partition (or just one).

    SINEW_BROKER=127.0.0.1:7420 python examples/partitions.py
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import defaultdict

from sinew import (
    OutgoingMessage,
    QueueOptions,
    SinewClient,
    SinewClientOptions,
    SubscribeOptions,
)


async def main() -> None:
    options = SinewClientOptions(
        endpoints=os.environ.get("SINEW_BROKER", "127.0.0.1:7420"), request_timeout=10
    )
    queue = f"examples.partitions.{uuid.uuid4().hex[:8]}"
    async with SinewClient.connect(options) as client:
        info = await client.declare_queue(queue, QueueOptions(partitions=4))
        print(f"{queue} has {info.partitions} partitions")
        publisher = client.create_publisher(queue)

        # The same key always lands on the same partition, in publish order.
        for customer in ("alice", "bob", "carol"):
            for step in ("created", "paid", "shipped"):
                receipt = await publisher.publish(
                    OutgoingMessage.from_text(f"{customer} {step}", key=customer)
                )
            print(f"{customer:>5} -> partition {receipt.partition}")

        # Without a key, messages take turns over the partitions.
        keyless = [await publisher.publish(OutgoingMessage.from_text("tick")) for _ in range(4)]
        print("keyless partitions:", [receipt.partition for receipt in keyless])

        # One subscription reads all partitions; each delivery knows where it came from.
        per_partition: dict[int, list[str]] = defaultdict(list)
        async with client.subscribe(queue) as subscription:
            for _ in range(13):
                delivery = await subscription.receive(timeout=15)
                per_partition[delivery.partition].append(delivery.text())
                await delivery.ack()
        for partition in sorted(per_partition):
            print(f"partition {partition}: {per_partition[partition]}")

        # Or read a single partition.
        receipt = await publisher.publish(OutgoingMessage.from_text("dave created", key="dave"))
        single = SubscribeOptions(partition=receipt.partition)
        async with client.subscribe(queue, single) as subscription:
            delivery = await subscription.receive(timeout=15)
            print(f"partition {receipt.partition} alone: {delivery.text()!r}")
            await delivery.ack()

if __name__ == "__main__":
    asyncio.run(main())
