"""Receipts from the real broker that depend on what it stored: a batch that repeats an
identity already stored is answered per message, the repeat as a duplicate at the stored
position."""

from __future__ import annotations

from sinew import OutgoingMessage, PublishReceipt, ReliablePublisherOptions, SinewClient


async def test_a_batch_reports_duplicates_per_message(client: SinewClient, queue_name: str) -> None:
    await client.declare_queue(queue_name)
    options = ReliablePublisherOptions(producer_id="other")
    first = await client.create_reliable_publisher(queue_name, options).publish(OutgoingMessage(b"a"))
    # The same identity again, next to a new one: the broker answers per message.
    replay = client.create_reliable_publisher(queue_name, options)
    receipts = await replay.publish_batch([OutgoingMessage(b"again"), OutgoingMessage(b"new")])
    assert [r.duplicate for r in receipts] == [True, False]
    assert receipts[0] == PublishReceipt(first.partition, first.offset, True)
