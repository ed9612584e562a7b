"""The broker going away and coming back: subscriptions end with a typed reason, the next
operation reconnects, what was in flight fails without being replayed, idempotent publishes
stay deduplicated across a restart, and closing leaves nothing running.

Each test here stops or restarts its broker, so each has a broker of its own."""

from __future__ import annotations

import asyncio

import pytest
from support.integration import broker_options, other_tasks, take
from support.real_broker import RealBroker, running_broker

from sinew import (
    AckMode,
    BrokerError,
    ClientClosedError,
    ConnectionLostError,
    OperationTimeoutError,
    OutgoingMessage,
    QueueOptions,
    ReconnectPolicy,
    ReliablePublisherOptions,
    SinewClient,
    SinewConnectionError,
    SubscribeOptions,
    SubscriptionEndedError,
    SubscriptionEndReason,
)


@pytest.mark.parametrize("ack_mode", [AckMode.MANUAL, AckMode.AUTO], ids=["manual", "auto"])
async def test_a_subscription_ends_with_server_shutdown_when_the_broker_stops(
    real_broker: RealBroker, ack_mode: AckMode
) -> None:
    async with SinewClient.connect(broker_options(real_broker)) as client:
        await client.declare_queue("orders", QueueOptions(partitions=3))
        subscription = await client.subscribe("orders", SubscribeOptions(ack_mode=ack_mode))
        await client.create_publisher("orders").publish(OutgoingMessage.from_text("one"))
        delivery = await subscription.receive(timeout=5)
        assert await asyncio.to_thread(real_broker.stop) == 0
        with pytest.raises(SubscriptionEndedError) as caught:
            await subscription.receive(timeout=5)
        assert caught.value.reason == SubscriptionEndReason.SERVER_SHUTDOWN
        assert caught.value.code == "server_shutdown" and caught.value.is_retryable
        assert subscription.end_reason == SubscriptionEndReason.SERVER_SHUTDOWN
        assert delivery.text() == "one"
        await asyncio.wait_for(_disconnected(client), 5)


async def _disconnected(client: SinewClient) -> None:
    while client.is_connected:
        await asyncio.sleep(0.01)


async def test_the_next_operation_reconnects_after_a_restart_for_publishing_and_subscribing(
    real_broker: RealBroker,
) -> None:
    async with SinewClient.connect(broker_options(real_broker)) as client:
        await client.declare_queue("orders", QueueOptions(partitions=2))
        publisher = client.create_publisher("orders")
        subscription = await client.subscribe("orders")
        before = [await publisher.publish(OutgoingMessage.from_text(f"before-{n}")) for n in range(2)]
        held = await take(subscription, 2)
        assert client.server_info is not None
        first_session = client.server_info.session_id
        await asyncio.to_thread(real_broker.restart)
        with pytest.raises(SubscriptionEndedError) as caught:
            await subscription.receive(timeout=5)
        assert caught.value.reason == SubscriptionEndReason.SERVER_SHUTDOWN
        await asyncio.wait_for(_disconnected(client), 5)
        # The same publisher carries on over a new connection, with its routing.
        after = [await publisher.publish(OutgoingMessage.from_text(f"after-{n}")) for n in range(2)]
        assert client.is_connected and client.server_info is not None
        assert client.server_info.session_id != first_session
        assert [r.partition for r in before] == [0, 1] and [r.partition for r in after] == [0, 1]
        assert [r.offset for r in after] == [1, 1]  # the messages stored before the restart stayed
        async with client.subscribe("orders") as again:
            received = await take(again, 4)
            for delivery in received:
                await delivery.ack()
        # What was delivered but not settled before the restart is delivered again.
        texts = sorted((d.text(), d.attempt) for d in received)
        assert texts == [("after-0", 1), ("after-1", 1), ("before-0", 2), ("before-1", 2)]
        assert {d.text() for d in held} == {"before-0", "before-1"}


async def test_in_flight_operations_fail_with_connection_lost_and_are_not_replayed(
    real_broker: RealBroker,
) -> None:
    async with SinewClient.connect(broker_options(real_broker, request_timeout=20)) as client:
        await client.declare_queue("orders")
        publisher = client.create_publisher("orders")
        await publisher.publish(OutgoingMessage.from_text("stored"))
        subscription = await client.subscribe("orders")
        delivery = await subscription.receive(timeout=5)
        real_broker.freeze()  # it keeps the connection but answers nothing
        in_flight = [
            asyncio.ensure_future(publisher.publish(OutgoingMessage.from_text("in flight"))),
            asyncio.ensure_future(client.declare_queue("other")),
            asyncio.ensure_future(client.topology()),
            asyncio.ensure_future(delivery.ack()),
        ]
        await asyncio.sleep(0.2)
        assert not any(future.done() for future in in_flight)
        await asyncio.to_thread(real_broker.kill)
        for future in in_flight:
            with pytest.raises(ConnectionLostError) as caught:
                await future
            assert caught.value.is_retryable and "not replayed" in caught.value.message
        with pytest.raises(SubscriptionEndedError) as ended:
            await subscription.receive(timeout=5)
        assert ended.value.reason == SubscriptionEndReason.CONNECTION_LOST
        await asyncio.to_thread(real_broker.start)
        # Reconnected by the next operation. Whether the frozen broker had stored the
        # publish is unknown to the client, which did not send it again.
        info = await client.declare_queue("orders")
        assert not info.created
        async with client.subscribe("orders") as again:
            received = [await again.receive(timeout=5)]
            while True:
                try:
                    received.append(await again.receive(timeout=0.3))
                except TimeoutError:
                    break
        texts = [d.text() for d in received]
        assert texts.count("stored") == 1 and texts.count("in flight") <= 1


async def test_operations_fail_with_connection_error_while_the_broker_stays_down(real_broker: RealBroker) -> None:
    policy = ReconnectPolicy(max_attempts=2, initial_delay=0.05, max_delay=0.05)
    async with SinewClient.connect(broker_options(real_broker, reconnect=policy)) as client:
        await client.declare_queue("orders")
        await asyncio.to_thread(real_broker.stop)
        await asyncio.wait_for(_disconnected(client), 5)
        with pytest.raises(SinewConnectionError) as caught:
            await client.declare_queue("orders")
        assert "2 attempt(s)" in caught.value.message and caught.value.is_retryable
        await asyncio.to_thread(real_broker.start)
        assert not (await client.declare_queue("orders")).created


async def test_a_reliable_publisher_stays_deduplicated_across_a_restart(real_broker: RealBroker) -> None:
    options = ReliablePublisherOptions(producer_id="billing-1")
    async with SinewClient.connect(broker_options(real_broker)) as client:
        await client.declare_queue("invoices")
        first = await client.create_reliable_publisher("invoices", options).publish(OutgoingMessage.from_text("inv-1"))
        await asyncio.to_thread(real_broker.restart)
        # A new process would resume the producer's numbering; one that lost track of it
        # sends the same sequence again, and the broker still recognises it.
        again = client.create_reliable_publisher("invoices", options)
        resent = await again.publish(OutgoingMessage.from_text("inv-1"))
        assert (resent.partition, resent.offset, resent.duplicate) == (first.partition, first.offset, True)
        nxt = await again.publish(OutgoingMessage.from_text("inv-2"))
        assert (nxt.offset, nxt.duplicate) == (1, False)


async def test_a_reliable_publisher_retrying_a_timed_out_publish_stores_it_once(real_broker: RealBroker) -> None:
    async with SinewClient.connect(broker_options(real_broker, request_timeout=0.3)) as client:
        await client.declare_queue("payments")
        publisher = client.create_reliable_publisher("payments")
        real_broker.freeze()  # the first attempt waits unanswered and times out
        publishing = asyncio.ensure_future(publisher.publish(OutgoingMessage.from_text("pay 10")))
        await asyncio.sleep(0.5)
        assert not publishing.done()
        real_broker.thaw()  # the broker stores the first attempt, then sees the retry
        receipt = await publishing
        assert (receipt.offset, receipt.duplicate) == (0, True)
        assert real_broker.queue_stats("payments")["partition_stats"][0]["next_offset"] == 1
        async with client.subscribe("payments") as subscription:
            assert (await subscription.receive(timeout=5)).text() == "pay 10"
            with pytest.raises(TimeoutError):
                await subscription.receive(timeout=0.2)


async def test_close_leaves_no_task_running_and_ends_what_was_open(real_broker: RealBroker) -> None:
    client = await SinewClient.connect(broker_options(real_broker, heartbeat=1))
    await client.declare_queue("orders", QueueOptions(partitions=2))
    subscription = await client.subscribe("orders")
    publisher = client.create_publisher("orders")
    await publisher.publish(OutgoingMessage.from_text("x"))
    delivery = await subscription.receive(timeout=5)
    waiting = asyncio.ensure_future(subscription.receive(timeout=10))
    await asyncio.sleep(0.05)
    assert other_tasks()
    await client.close()
    with pytest.raises(SubscriptionEndedError) as caught:
        await waiting
    assert caught.value.reason == SubscriptionEndReason.CLIENT_CLOSED
    assert other_tasks() == []
    assert client.is_closed and not client.is_connected
    with pytest.raises(ClientClosedError):
        await publisher.publish(OutgoingMessage.from_text("y"))
    with pytest.raises(ClientClosedError):
        delivery.ack()
    # Goodbye returned the unsettled delivery to the queue.
    async with SinewClient.connect(broker_options(real_broker)) as other:
        async with other.subscribe("orders") as again:
            returned = await again.receive(timeout=5)
    assert (returned.text(), returned.attempt) == ("x", 2)


async def test_a_request_during_shutdown_is_answered_or_its_connection_closed() -> None:
    with running_broker() as broker:  # the default shutdown timeout
        async with SinewClient.connect(broker_options(broker, request_timeout=3)) as client:
            await client.declare_queue("orders")
            subscription = await client.subscribe("orders")
            stopping = asyncio.ensure_future(asyncio.to_thread(broker.stop))
            try:
                with pytest.raises(SubscriptionEndedError):
                    await subscription.receive(timeout=5)
                try:
                    await client.declare_queue("orders")
                except BrokerError as error:
                    assert error.code == "unavailable"
                except ConnectionLostError:
                    pass  # closing the connection at once would do too
            finally:
                await stopping
