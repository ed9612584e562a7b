"""The blocking API against the real broker: the same behaviour as the asyncio client, driven
from plain threads, with the loop thread stopped on close.

These tests are synchronous functions: nothing here runs an event loop of its own."""

from __future__ import annotations

import threading

import pytest
from support.integration import broker_options
from support.real_broker import RealBroker, running_broker

from sinew import (
    AckMode,
    BrokerError,
    ClientClosedError,
    DeadLetterPolicy,
    InvalidArgumentError,
    OperationTimeoutError,
    OutgoingMessage,
    PublishReceipt,
    QueueOptions,
    ReliablePublisherOptions,
    SinewConnectionError,
    SinewCredentials,
    SubscribeOptions,
    SubscriptionEndedError,
    SubscriptionEndReason,
)
from sinew.blocking import SinewClient
from sinew.routing import partition_for_key


def _sinew_loop_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("sinew-loop-")]


def test_publish_consume_and_settle_with_the_blocking_api(module_broker: RealBroker, queue_name: str) -> None:
    with SinewClient.connect(broker_options(module_broker)) as client:
        info = client.declare_queue(queue_name, QueueOptions(partitions=2))
        assert info.created and info.partitions == 2
        publisher = client.create_publisher(queue_name)
        receipt = publisher.publish(OutgoingMessage.from_text("one", key="k"))
        assert receipt.partition == partition_for_key("k", 2)
        batch = publisher.publish_batch(OutgoingMessage.from_json({"n": n}) for n in range(3))
        assert len(batch) == 3
        confirmation = publisher.publish_with_confirmation(OutgoingMessage(b"pipelined"))
        assert confirmation.wait().duplicate is False
        publisher.publish_unconfirmed(OutgoingMessage(b"fire and forget"))
        received = []
        with client.subscribe(queue_name) as subscription:
            assert subscription.partitions == (0, 1)
            retried = False
            while len(received) < 6:
                delivery = subscription.receive(timeout=5)
                if not retried:
                    delivery.retry()
                    retried = True
                    continue
                delivery.extend_lease(5)
                delivery.ack()
                assert delivery.is_settled
                received.append(delivery)
            with pytest.raises(OperationTimeoutError):
                subscription.receive(timeout=0.2)
        assert sorted(d.payload for d in received) == sorted(
            [b"one", b'{"n":0}', b'{"n":1}', b'{"n":2}', b"pipelined", b"fire and forget"]
        )
        assert any(d.attempt == 2 for d in received)
        with pytest.raises(InvalidArgumentError):
            received[0].ack()


def test_a_blocking_fail_dead_letters_with_the_reason(module_broker: RealBroker, queue_name: str) -> None:
    dlq = f"{queue_name}.dlq"
    with SinewClient.connect(broker_options(module_broker)) as client:
        client.declare_queue(queue_name, QueueOptions(dead_letter=DeadLetterPolicy.to_queue(dlq)))
        client.declare_queue(dlq)
        client.create_publisher(queue_name).publish(OutgoingMessage.from_text("bad"))
        with client.subscribe(queue_name) as subscription:
            subscription.receive(timeout=5).fail("unparseable")
        with client.subscribe(dlq) as subscription:
            dead = subscription.receive(timeout=5)
            dead.ack()
    assert dead.text() == "bad"
    assert (dead.headers["sinew.dlq.reason"], dead.headers["sinew.dlq.error"]) == ("terminal_nack", "unparseable")


def test_iteration_and_auto_ack_with_the_blocking_api(module_broker: RealBroker, queue_name: str) -> None:
    with SinewClient.connect(broker_options(module_broker)) as client:
        client.declare_queue(queue_name)
        client.create_publisher(queue_name).publish_batch(OutgoingMessage.from_text(str(n)) for n in range(5))
        texts = []
        with client.subscribe(queue_name, SubscribeOptions(ack_mode=AckMode.AUTO)) as subscription:
            for delivery in subscription:
                texts.append(delivery.text())
                if len(texts) == 5:
                    break
        assert texts == [str(n) for n in range(5)]


def test_leaving_a_blocking_loop_early_keeps_the_subscription(
    module_broker: RealBroker, queue_name: str
) -> None:
    with SinewClient.connect(broker_options(module_broker)) as client:
        client.declare_queue(queue_name)
        client.create_publisher(queue_name).publish_batch(OutgoingMessage.from_text(t) for t in "ab")
        with client.subscribe(queue_name) as subscription:
            for delivery in subscription:
                delivery.ack()
                break
            assert subscription.is_active
            for delivery in subscription:
                assert delivery.text() == "b"
                delivery.ack()
                break
            assert subscription.is_active
        assert not subscription.is_active


def test_a_blocking_reliable_publisher_deduplicates(module_broker: RealBroker, queue_name: str) -> None:
    options = ReliablePublisherOptions(producer_id=f"blocking-{queue_name}"[:64])
    with SinewClient.connect(broker_options(module_broker)) as client:
        client.declare_queue(queue_name)
        first = client.create_reliable_publisher(queue_name, options).publish(OutgoingMessage.from_text("x"))
        again = client.create_reliable_publisher(queue_name, options).publish(OutgoingMessage.from_text("x"))
        assert (again.offset, again.duplicate) == (first.offset, True)


def test_blocking_errors_are_the_same_typed_errors(module_broker: RealBroker, queue_name: str) -> None:
    with SinewClient.connect(broker_options(module_broker)) as client:
        with pytest.raises(BrokerError) as caught:
            client.create_publisher(queue_name).publish(OutgoingMessage(b""))
        assert caught.value.code == "not_found"
        client.declare_queue(queue_name, QueueOptions(partitions=1))
        with pytest.raises(BrokerError) as caught:
            client.declare_queue(queue_name, QueueOptions(partitions=2))
        assert (caught.value.code, caught.value.details["field"]) == ("conflict", "partitions")
        with pytest.raises(InvalidArgumentError):
            client.declare_queue("no spaces allowed")
    with pytest.raises(SinewConnectionError):
        SinewClient.connect(broker_options(module_broker.http_address))


def test_a_blocking_connect_with_wrong_credentials_is_unauthorized_and_leaves_no_thread() -> None:
    threads_before = set(_sinew_loop_threads())
    with running_broker("--user", "bob:pw") as broker:
        with pytest.raises(BrokerError) as caught:
            SinewClient.connect(broker_options(broker, credentials=SinewCredentials.plain("bob", "nope")))
        assert caught.value.code == "unauthorized"
        with SinewClient.connect(broker_options(broker, credentials=SinewCredentials.plain("bob", "pw"))) as client:
            assert client.is_connected
    assert set(_sinew_loop_threads()) <= threads_before


def test_closing_a_blocking_client_stops_its_loop_thread(module_broker: RealBroker, queue_name: str) -> None:
    client = SinewClient.connect(broker_options(module_broker))
    thread = client.loop_thread.thread
    assert thread.is_alive()
    client.declare_queue(queue_name)
    subscription = client.subscribe(queue_name)
    client.close()
    assert not thread.is_alive() and not client.loop_thread.is_running
    assert client.is_closed
    with pytest.raises(ClientClosedError):
        client.declare_queue(queue_name)
    with pytest.raises(ClientClosedError):
        subscription.receive(timeout=1)
    client.close()  # idempotent


def test_a_blocking_subscription_ends_with_server_shutdown(real_broker: RealBroker) -> None:
    with SinewClient.connect(broker_options(real_broker)) as client:
        client.declare_queue("orders")
        subscription = client.subscribe("orders")
        stopper = threading.Thread(target=real_broker.stop)
        stopper.start()
        try:
            with pytest.raises(SubscriptionEndedError) as caught:
                subscription.receive(timeout=5)
            assert caught.value.reason == SubscriptionEndReason.SERVER_SHUTDOWN
        finally:
            stopper.join()
        real_broker.start()
        # The next call reconnects to the restarted broker, where the queue still exists.
        assert client.declare_queue("orders").created is False
        assert client.is_connected


def test_the_blocking_client_works_end_to_end_and_stops_its_thread(module_broker: RealBroker, queue_name: str) -> None:
    with SinewClient.connect(broker_options(module_broker)) as client:
        thread = client.loop_thread.thread
        assert thread.is_alive()
        info = client.declare_queue(queue_name, QueueOptions(partitions=2))
        publisher = client.create_publisher(queue_name)
        receipt = publisher.publish(OutgoingMessage.from_text("one"))
        batch = publisher.publish_batch(OutgoingMessage.from_json(n) for n in range(3))
        confirmation = publisher.publish_with_confirmation(OutgoingMessage(b"pipelined"))
        confirmed = confirmation.wait()
        publisher.publish_unconfirmed(OutgoingMessage(b"fire"))
        reliable = client.create_reliable_publisher(queue_name).publish(OutgoingMessage(b"safe"))
        payloads = []
        with client.subscribe(queue_name) as subscription:
            for delivery in subscription:
                payloads.append(delivery.payload)
                delivery.ack()
                if len(payloads) == 7:
                    break
            topology = client.topology()
    assert info.partitions == 2
    assert receipt == PublishReceipt(0, 0)
    assert [r.partition for r in batch] == [1, 0, 1]
    assert confirmed.partition == 0
    assert not reliable.duplicate
    assert sorted(payloads) == sorted([b"one", b"0", b"1", b"2", b"pipelined", b"fire", b"safe"])
    channel = topology.find(queue_name)
    assert channel is not None and channel.partitions == 2
    assert not thread.is_alive()


def test_blocking_errors_include_the_timeout_of_a_subscription_without_deliveries(
    module_broker: RealBroker, queue_name: str
) -> None:
    with SinewClient.connect(broker_options(module_broker)) as client:
        with pytest.raises(BrokerError) as caught:
            client.create_publisher(f"{queue_name}.missing").publish(OutgoingMessage(b""))
        assert caught.value.code == "not_found"
        client.declare_queue(queue_name)
        with pytest.raises(OperationTimeoutError):
            client.subscribe(queue_name, SubscribeOptions(partition=0)).receive(timeout=0.01)
