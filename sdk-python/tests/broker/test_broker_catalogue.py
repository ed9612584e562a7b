"""The client's live catalogue against the real broker: another client's declaration reaches a
watcher and a callback through the broker's push, the catalogue lists declared queues with
their partition counts and routing versions, and after the broker restarts with one queue's
routing version raised and another queue gone, the client reconciles its view from a fresh
catalogue, reports the differences and publishes on."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

from support.integration import broker_options
from support.real_broker import RealBroker

from sinew import CatalogueChange, CatalogueEntry, ChannelKind, OutgoingMessage, QueueOptions, SinewClient


async def test_a_queue_another_client_declares_reaches_a_watcher_and_a_callback_and_the_catalogue(
    module_broker: RealBroker, client: SinewClient, queue_name: str
) -> None:
    await client.catalogue()
    heard: asyncio.Future[CatalogueChange] = asyncio.get_running_loop().create_future()

    def on_change(change: CatalogueChange) -> None:
        if not heard.done() and any(entry.topic == queue_name for entry in change.added):
            heard.set_result(change)

    client.on_catalogue_change(on_change)
    watcher = client.watch_catalogue()

    async def watched() -> CatalogueChange:
        async for change in watcher:
            if any(entry.topic == queue_name for entry in change.added):
                return change
        raise AssertionError("the watch ended")

    watching = asyncio.ensure_future(watched())
    async with SinewClient.connect(broker_options(module_broker)) as declaring:
        await declaring.declare_queue(queue_name, QueueOptions(partitions=3))

    expected = CatalogueEntry(ChannelKind.QUEUE, queue_name, None, 3, 1)
    change = await heard
    assert expected in change.added
    assert expected in (await watching).added
    catalogue = await client.catalogue()
    assert catalogue.find(queue_name) == expected
    assert catalogue.generation >= change.generation


async def test_the_catalogue_lists_a_declared_queue_with_its_partition_count_even_right_after_declaring(
    client: SinewClient, queue_name: str
) -> None:
    await client.declare_queue(queue_name, QueueOptions(partitions=4, group="eu"))
    assert (await client.catalogue()).find(queue_name, "eu") == CatalogueEntry(ChannelKind.QUEUE, queue_name, "eu", 4, 1)
    # The view is established now; a queue declared next is listed by the very next read.
    await client.declare_queue(f"{queue_name}.second", QueueOptions(partitions=2))
    second = (await client.catalogue()).find(f"{queue_name}.second")
    assert second is not None and second.partitions == 2


def _queue_directory(broker: RealBroker, topic: str) -> Path:
    """The directory the broker keeps a queue in, found by the topic its queue.json names."""
    for directory in (broker.data_dir / "queues").iterdir():
        settings = directory / "queue.json"
        if settings.exists() and json.loads(settings.read_text(encoding="utf-8"))["topic"] == topic:
            return directory
    raise AssertionError(f"no queue directory for {topic}")


async def test_after_a_restart_the_view_is_reconciled_the_differences_reported_and_publishing_goes_on(
    real_broker: RealBroker,
) -> None:
    async with SinewClient.connect(broker_options(real_broker)) as client:
        await client.declare_queue("raised", QueueOptions(partitions=2))
        await client.declare_queue("gone")
        raised = (await client.catalogue()).find("raised")
        assert raised is not None and raised.routing_version == 1
        watcher = client.watch_catalogue()

        # While the broker is down its queue files change as repartitioning would leave them.
        await asyncio.to_thread(real_broker.stop)
        settings_file = _queue_directory(real_broker, "raised") / "queue.json"
        settings = json.loads(settings_file.read_text(encoding="utf-8"))
        settings_file.write_text(json.dumps({**settings, "routing_version": 5}), encoding="utf-8")
        shutil.rmtree(_queue_directory(real_broker, "gone"))
        await asyncio.to_thread(real_broker.start)

        await client.ensure_connected()
        removed: list[CatalogueEntry] = []
        changed: list[CatalogueEntry] = []
        while not (any(e.topic == "gone" for e in removed) and any(e.topic == "raised" for e in changed)):
            change = await anext(watcher)
            removed.extend(change.removed)
            changed.extend(change.changed)
        assert [e for e in changed if e.topic == "raised"] == [CatalogueEntry(ChannelKind.QUEUE, "raised", None, 2, 5)]
        assert (await client.catalogue()).find("gone") is None

        # Stamped with version 5: the broker would redirect an older stamp.
        publisher = client.create_publisher("raised")
        receipts = [await publisher.publish(OutgoingMessage.from_text(f"m{n}")) for n in range(2)]
        assert sorted(r.partition for r in receipts) == [0, 1]
