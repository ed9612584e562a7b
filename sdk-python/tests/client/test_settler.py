"""The settlement batcher on its own (no socket): a batch longer than the broker's list limit
(`Limits.max_list_items`) leaves as several frames within it, in order, extensions first."""

from __future__ import annotations

import asyncio

from sinew.connection.settler import MAX_ITEMS_PER_FRAME, Settler
from sinew.wire.limits import DEFAULT_MAX_LIST_ITEMS
from sinew.wire.messages import Ack, ExtendLease, LeaseExtension, Message, Nack, NackItem, SettleOk


def _recording_settler(max_list_items: int | None = None) -> tuple[Settler, list[Message]]:
    sent: list[Message] = []
    loop = asyncio.get_running_loop()

    def request(message: Message, context: str) -> asyncio.Future[Message]:
        sent.append(message)
        reply: asyncio.Future[Message] = loop.create_future()
        reply.set_result(SettleOk(failures=()))
        return reply

    settler = Settler(request) if max_list_items is None else Settler(request, max_list_items)
    return settler, sent


def _lengths(sent: list[Message]) -> list[tuple[str, int]]:
    lengths: list[tuple[str, int]] = []
    for frame in sent:
        if isinstance(frame, Ack):
            lengths.append(("Ack", len(frame.delivery_ids)))
        elif isinstance(frame, (Nack, ExtendLease)):
            lengths.append((type(frame).__name__, len(frame.items)))
    return lengths


async def test_a_batch_longer_than_the_list_limit_is_split_into_frames_within_it() -> None:
    settler, sent = _recording_settler(max_list_items=4)
    futures = [settler.ack(delivery_id) for delivery_id in range(1, 11)]
    futures += [settler.nack(NackItem(delivery_id=20 + n, requeue=True)) for n in range(5)]
    futures += [settler.extend_lease(LeaseExtension(delivery_id=30 + n)) for n in range(4)]
    await asyncio.wait_for(asyncio.gather(*futures), timeout=5)
    assert _lengths(sent) == [
        ("ExtendLease", 4), ("Nack", 4), ("Nack", 1), ("Ack", 4), ("Ack", 4), ("Ack", 2)
    ]
    acked = [n for frame in sent if isinstance(frame, Ack) for n in frame.delivery_ids]
    assert acked == list(range(1, 11))


async def test_without_an_announced_limit_frames_keep_to_the_size_bound() -> None:
    # The protocol's default list limit is above the size bound, so the size bound decides.
    assert DEFAULT_MAX_LIST_ITEMS > MAX_ITEMS_PER_FRAME
    settler, sent = _recording_settler()
    ids = range(1, 2 * MAX_ITEMS_PER_FRAME + 2)
    await asyncio.wait_for(asyncio.gather(*(settler.ack(n) for n in ids)), timeout=5)
    full = ("Ack", MAX_ITEMS_PER_FRAME)
    assert _lengths(sent) == [full, full, ("Ack", 1)]
