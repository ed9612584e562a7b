"""The client's live catalogue against the scripted fake and without a broker: which
topologies replace the view, what a change lists, that a watcher or a callback that does not
keep up gets merged changes rather than a backlog, and how publishing reacts to the broker's
redirect. A real single broker redirects only a publish stamped with a routing version older
than the queue's, which a client keeping its catalogue live does not send (after a restart it
refreshes before routing), so those answers are scripted here."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from support.fake_broker import FakeBroker
from support.scripted_frames import ERROR_REDIRECT, error, publish_ok_at
from support.options import options_for

from sinew import BrokerError, CatalogueChange, CatalogueEntry, ChannelKind, OutgoingMessage, SinewClient
from sinew.routing import partition_for_key
from sinew.routing.catalogue_view import CatalogueView, catalogue_change
from sinew.wire import BrokerInfo, ChannelInfo, Publish, PublishBatch, Topology, TopologyAck, TopologyRequest


def catalogue(generation: int, *queues: tuple[str, int, int]) -> Topology:
    """A catalogue of queues given as `(topic, partitions, routing_version)`."""
    return Topology(
        generation=generation,
        brokers=(BrokerInfo(broker_id="fake", endpoints=()),),
        channels=tuple(
            ChannelInfo(kind=ChannelKind.QUEUE, topic=topic, partitions=partitions, routing_version=version)
            for topic, partitions, version in queues
        ),
    )


def topics(entries: tuple[CatalogueEntry, ...]) -> list[str]:
    return [entry.topic for entry in entries]


def in_turn(*replies: Topology) -> Iterator[Topology]:
    """The replies in order, the last one repeated."""
    yield from replies
    while True:
        yield replies[-1]


def redirect() -> object:
    return error(ERROR_REDIRECT, "the routing used is stale", retryable=True,
                 details={"routing_version": "2", "endpoint": "127.0.0.1:7420"})


# The view


async def test_a_change_lists_added_removed_and_changed_channels() -> None:
    view = CatalogueView()
    view.apply(catalogue(1, ("kept", 1, 1), ("grown", 2, 1), ("gone", 1, 1)), "s")
    before = view.current
    view.apply(catalogue(2, ("kept", 1, 1), ("grown", 4, 2), ("new", 3, 1)), "s")
    assert before is not None and view.current is not None
    change = catalogue_change(before, view.current)
    assert change is not None and change.generation == 2
    assert topics(change.added) == ["new"]
    assert topics(change.removed) == ["gone"]
    assert change.changed == (CatalogueEntry(ChannelKind.QUEUE, "grown", None, 4, 2),)
    assert catalogue_change(view.current, view.current) is None


async def test_generations_are_compared_within_a_session_only() -> None:
    view = CatalogueView()
    assert view.apply(catalogue(5, ("a", 1, 1)), "first")
    assert not view.apply(catalogue(4, ("b", 1, 1)), "first")
    assert not view.apply(catalogue(5, ("b", 1, 1)), "first")
    assert view.current is not None and topics(view.current.entries) == ["a"]
    # A new session (a restarted broker counts from the start again) replaces the view.
    assert view.apply(catalogue(1, ("b", 1, 1)), "second")
    assert topics(view.current.entries) == ["b"]
    assert view.is_from("second") and not view.is_from("first")


async def test_callbacks_hear_each_change_in_order_but_not_the_view_being_established() -> None:
    view = CatalogueView()
    heard: list[CatalogueChange] = []

    def broken(change: CatalogueChange) -> None:
        raise RuntimeError("callback bug")

    view.listen(broken)
    remove = view.listen(heard.append)
    view.apply(catalogue(1, ("a", 1, 1)), "s")
    view.apply(catalogue(2, ("a", 1, 1), ("b", 1, 1)), "s")
    view.apply(catalogue(3, ("b", 1, 1)), "s")
    await asyncio.sleep(0)
    remove()
    view.apply(catalogue(4), "s")
    await asyncio.sleep(0)
    assert [(topics(c.added), topics(c.removed)) for c in heard] == [(["b"], []), ([], ["a"])]


# Watching


async def test_a_watcher_that_was_not_read_gets_one_merged_change(broker: FakeBroker, client: SinewClient) -> None:
    broker.answer(TopologyRequest, lambda frame: catalogue(1, ("base", 1, 1), ("dropped", 1, 1)))
    await client.catalogue()
    watcher = client.watch_catalogue()
    # Two thousand catalogues, each with a queue the next one no longer lists.
    for generation in range(2, 2002):
        broker.push(catalogue(generation, ("base", 2, 2), (f"churn-{generation}", 1, 1)))
    await broker.wait_for(lambda: any(ack.generation == 2001 for ack in broker.messages(TopologyAck)), timeout=10)

    change = await anext(watcher)
    assert change.generation == 2001
    assert topics(change.added) == ["churn-2001"]
    assert topics(change.removed) == ["dropped"]
    assert topics(change.changed) == ["base"]

    # Nothing is queued behind it: the next read waits for the next catalogue.
    following = asyncio.ensure_future(anext(watcher))
    await asyncio.sleep(0)
    assert not following.done()
    broker.push(catalogue(2002, ("base", 2, 2)))
    assert topics((await following).removed) == ["churn-2001"]


async def test_closing_the_client_ends_its_watchers(broker: FakeBroker, client: SinewClient) -> None:
    broker.answer(TopologyRequest, lambda frame: catalogue(1))
    await client.catalogue()
    following = asyncio.ensure_future(anext(client.watch_catalogue()))
    await asyncio.sleep(0)
    await client.close()
    with pytest.raises(StopAsyncIteration):
        await following


async def test_the_catalogue_is_read_without_a_round_trip_once_the_sessions_catalogue_arrived(
    broker: FakeBroker, client: SinewClient
) -> None:
    broker.answer(TopologyRequest, lambda frame: catalogue(1, ("orders", 2, 1)))
    assert (await client.catalogue()).find("orders") == CatalogueEntry(ChannelKind.QUEUE, "orders", None, 2, 1)
    broker.push(catalogue(2, ("orders", 2, 1), ("billing", 1, 1)))
    await broker.wait_for(lambda: len(broker.messages(TopologyAck)) == 1)
    assert topics((await client.catalogue()).entries) == ["orders", "billing"]
    assert len(broker.frames(TopologyRequest)) == 1


# Publishing after a redirect


async def test_a_redirected_publish_is_sent_again_with_the_refreshed_partition_count_and_routing_version(
    broker: FakeBroker, client: SinewClient
) -> None:
    catalogues = in_turn(catalogue(1, ("orders", 2, 1)), catalogue(2, ("orders", 3, 2)))
    broker.answer(TopologyRequest, lambda frame: next(catalogues))
    redirects = iter([True])
    broker.answer(Publish, lambda frame: redirect() if next(redirects, False) else publish_ok_at(frame))
    await client.catalogue()

    receipt = await client.create_publisher("orders").publish(OutgoingMessage.from_text("x", key="customer-7"))

    assert receipt.partition == partition_for_key("customer-7", 3)
    sent = broker.messages(Publish)
    assert [publish.routing_version for publish in sent] == [1, 2]
    assert [publish.message.partition for publish in sent] == [
        partition_for_key("customer-7", 2), partition_for_key("customer-7", 3)
    ]
    found = (await client.catalogue()).find("orders")
    assert found is not None and found.partitions == 3


async def test_a_redirected_batch_and_a_redirected_pipelined_publish_are_sent_again(
    broker: FakeBroker, client: SinewClient
) -> None:
    catalogues = in_turn(catalogue(1, ("orders", 1, 1)), catalogue(2, ("orders", 1, 2)))
    broker.answer(TopologyRequest, lambda frame: next(catalogues))
    batches = iter([True])
    broker.answer(PublishBatch, lambda frame: redirect() if next(batches, False) else publish_ok_at(frame, 0, 1))
    singles = iter([True])
    broker.answer(Publish, lambda frame: redirect() if next(singles, False) else publish_ok_at(frame))
    await client.catalogue()
    publisher = client.create_publisher("orders")

    assert len(await publisher.publish_batch([OutgoingMessage(b"a"), OutgoingMessage(b"b")])) == 2
    confirmation = await publisher.publish_with_confirmation(OutgoingMessage(b"c"))
    assert (await confirmation).partition == 0

    assert [batch.routing_version for batch in broker.messages(PublishBatch)] == [1, 2]
    assert [publish.routing_version for publish in broker.messages(Publish)] == [2, 2]


async def test_a_publish_the_broker_keeps_redirecting_fails_after_three_resends(
    broker: FakeBroker, client: SinewClient
) -> None:
    broker.answer(TopologyRequest, lambda frame: catalogue(1, ("orders", 1, 1)))
    broker.answer(Publish, lambda frame: redirect())
    with pytest.raises(BrokerError) as caught:
        await client.create_publisher("orders").publish(OutgoingMessage(b"x"))
    assert caught.value.code == "redirect" and caught.value.is_retryable
    assert len(broker.frames(Publish)) == 4


async def test_a_redirected_unconfirmed_publish_reaches_on_error_and_refreshes_the_catalogue(broker: FakeBroker) -> None:
    reported: list[BaseException] = []
    client = await SinewClient.connect(options_for(broker, on_error=reported.append))
    try:
        catalogues = in_turn(catalogue(1, ("orders", 1, 1)), catalogue(2, ("orders", 1, 2)))
        broker.answer(TopologyRequest, lambda frame: next(catalogues))
        await client.catalogue()
        await client.create_publisher("orders").publish_unconfirmed(OutgoingMessage(b"x"))
        await broker.next_frame(Publish)
        # The fake answers nothing to request id 0; the broker's redirect is pushed as a real one sends it.
        broker.push(redirect())
        await broker.wait_for(lambda: len(reported) == 1 and len(broker.frames(TopologyRequest)) == 2)
        assert isinstance(reported[0], BrokerError) and reported[0].code == "redirect"
        assert (await client.catalogue()).generation == 2
    finally:
        await client.close()


async def test_after_a_reconnection_the_first_publish_waits_for_the_fresh_catalogue(
    broker: FakeBroker, client: SinewClient
) -> None:
    catalogues = in_turn(catalogue(1, ("orders", 1, 1)), catalogue(2, ("orders", 1, 4)))
    broker.answer(TopologyRequest, lambda frame: next(catalogues))
    broker.answer(Publish, lambda frame: publish_ok_at(frame))
    await client.catalogue()
    publisher = client.create_publisher("orders")
    await publisher.publish(OutgoingMessage(b"before"))

    broker.drop_connections()
    await broker.wait_for(lambda: not client.is_connected)
    await publisher.publish(OutgoingMessage(b"after"))

    assert [publish.routing_version for publish in broker.messages(Publish)] == [1, 4]
    assert len(broker.frames(TopologyRequest)) == 2
