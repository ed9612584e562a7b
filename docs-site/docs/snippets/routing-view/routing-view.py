"""Routing view: read the client's live catalogue, watch it change when another client declares a
queue, and publish by it."""

import asyncio
import os
import uuid

from sinew import CatalogueChange, CatalogueEntry, OutgoingMessage, QueueOptions, SinewClient, SinewClientOptions


async def main() -> None:
    broker = os.environ.get("SINEW_BROKER", "127.0.0.1:7420")
    topic = f"routing-view.{uuid.uuid4().hex}"
    options = SinewClientOptions(endpoints=broker, client_name="routing-view")

    async with SinewClient.connect(options) as client:
        # The first read asks the broker once; from then on the broker's pushes keep the view live.
        catalogue = await client.catalogue()
        print(f"catalogue generation {catalogue.generation}: watching for changes")

        # A callback hears every change; a watcher reads them at its own pace, merged if it falls behind.
        heard: asyncio.Future[CatalogueEntry] = asyncio.get_running_loop().create_future()

        def on_change(change: CatalogueChange) -> None:
            for entry in change.added:
                if entry.topic == topic and not heard.done():
                    heard.set_result(entry)

        client.on_catalogue_change(on_change)
        changes = client.watch_catalogue()

        # Another application declares a queue.
        async with SinewClient.connect(options) as other:
            await other.declare_queue(topic, QueueOptions(partitions=3))
            print(f"declared {topic} with 3 partitions from another client")

        async def first_added() -> CatalogueEntry:
            async for change in changes:
                for entry in change.added:
                    if entry.topic == topic:
                        return entry
            raise RuntimeError("the watch ended before the queue was added")

        added = await asyncio.wait_for(first_added(), timeout=10)
        print(f"change: added {added.topic} ({added.partitions} partitions, routing version {added.routing_version})")
        print(f"callback: added {(await asyncio.wait_for(heard, timeout=10)).topic}")

        # Reading the catalogue again costs no round trip.
        listed = (await client.catalogue()).find(topic)
        assert listed is not None
        print(f"catalogue lists {listed.topic}: {listed.partitions} partitions, routing version {listed.routing_version}")

        # Publishers route by the live catalogue and stamp the entry's routing version.
        receipt = await client.create_publisher(topic).publish(OutgoingMessage.from_text("hello", key="customer-7"))
        print(f"published with key customer-7 to partition {receipt.partition}")
    print("closed")


if __name__ == "__main__":
    asyncio.run(main())
