"""The blocking facade: it drives the asyncio client on its own loop thread, behaves the
same, stops that thread on close, and offers a twin of every public async method."""

from __future__ import annotations

import asyncio
import inspect
import threading
import types
from typing import Any

import pytest
from collections.abc import AsyncIterator
from support.options import options_for
from support.queue_model_broker import FakeBroker

import sinew
import sinew.blocking as blocking
from sinew import awaitable_context
from sinew.wire import CloseReason, Goodbye

PAIRS = [
    (sinew.SinewClient, blocking.SinewClient),
    (sinew.Publisher, blocking.Publisher),
    (sinew.ReliablePublisher, blocking.ReliablePublisher),
    (sinew.PublishConfirmation, blocking.PublishConfirmation),
    (sinew.Subscription, blocking.Subscription),
    (sinew.Delivery, blocking.Delivery),
]

PROTOCOL_TWINS = {
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
}


def _public_members(cls: type) -> dict[str, Any]:
    members = {}
    for name, value in inspect.getmembers(cls):
        if name.startswith("_") and name not in PROTOCOL_TWINS and name not in PROTOCOL_TWINS.values():
            continue
        members[name] = inspect.getattr_static(cls, name)
    return members


def _returns_awaitable_context(function: Any) -> bool:
    annotation = inspect.signature(function, eval_str=True).return_annotation
    return getattr(annotation, "__origin__", None) is awaitable_context.AwaitableContext


def _returns_future(function: Any) -> bool:
    # Settlements act at the call and return the future of the broker's answer.
    annotation = inspect.signature(function, eval_str=True).return_annotation
    return getattr(annotation, "__origin__", None) is asyncio.Future


def _is_asynchronous(function: Any) -> bool:
    return (
        inspect.iscoroutinefunction(function)
        or _returns_awaitable_context(function)
        or _returns_future(function)
    )


def _parameters(function: Any) -> list[tuple[str, Any, Any]]:
    parameters = list(inspect.signature(function).parameters.values())
    return [(p.name, p.kind, p.default) for p in parameters if p.name not in ("self", "cls")]


@pytest.mark.parametrize(("async_cls", "blocking_cls"), PAIRS, ids=lambda cls: cls.__name__)
def test_every_public_async_member_has_a_blocking_twin(async_cls: type, blocking_cls: type) -> None:
    blocking_members = _public_members(blocking_cls)
    missing = []
    for name, member in _public_members(async_cls).items():
        twin_name = PROTOCOL_TWINS.get(name, name)
        twin = blocking_members.get(twin_name)
        if twin is None:
            missing.append(name)
            continue
        if isinstance(member, property | types.MemberDescriptorType):
            assert isinstance(twin, property | types.MemberDescriptorType), (
                f"{blocking_cls.__name__}.{name} should be an attribute"
            )
            continue
        function = member.__func__ if isinstance(member, classmethod | staticmethod) else member
        twin_function = twin.__func__ if isinstance(twin, classmethod | staticmethod) else twin
        if _is_asynchronous(function):
            assert not _is_asynchronous(twin_function), f"{blocking_cls.__name__}.{twin_name} must block"
        if name not in PROTOCOL_TWINS:
            assert _parameters(function) == _parameters(twin_function), f"{name} signatures differ"
    assert missing == [], f"{blocking_cls.__name__} lacks {missing}"


def test_the_twin_check_covers_every_public_async_method() -> None:
    coroutine_methods = {
        f"{cls.__name__}.{name}"
        for cls, _ in PAIRS
        for name, member in _public_members(cls).items()
        if callable(member) and not isinstance(member, type) and _is_asynchronous(member)
    }
    assert {
        "SinewClient.declare_queue",
        "SinewClient.subscribe",
        "Publisher.publish",
        "Delivery.ack",
        "Delivery.retry_after",
        "Delivery.extend_lease",
        "Subscription.next",
    } <= coroutine_methods


async def test_the_blocking_client_works_end_to_end_and_stops_its_thread(broker: FakeBroker) -> None:
    def scenario() -> dict[str, Any]:
        results: dict[str, Any] = {}
        with blocking.SinewClient.connect(options_for(broker)) as client:
            results["thread"] = client.loop_thread.thread
            assert client.loop_thread.thread.is_alive()
            info = client.declare_queue("orders", sinew.QueueOptions(partitions=2))
            publisher = client.create_publisher("orders")
            results["receipt"] = publisher.publish(sinew.OutgoingMessage.from_text("one"))
            results["batch"] = publisher.publish_batch(sinew.OutgoingMessage.from_json(n) for n in range(3))
            confirmation = publisher.publish_with_confirmation(sinew.OutgoingMessage(b"pipelined"))
            results["confirmed"] = confirmation.wait()
            publisher.publish_unconfirmed(sinew.OutgoingMessage(b"fire"))
            reliable = client.create_reliable_publisher("orders")
            results["reliable"] = reliable.publish(sinew.OutgoingMessage(b"safe"))
            payloads = []
            with client.subscribe("orders") as subscription:
                for delivery in subscription:
                    payloads.append(delivery.payload)
                    delivery.ack()
                    if len(payloads) == 7:
                        break
                results["topology"] = client.topology()
            results["payloads"] = payloads
            results["partitions"] = info.partitions
        return results

    results = await asyncio.to_thread(scenario)
    assert results["partitions"] == 2
    assert results["receipt"] == sinew.PublishReceipt(0, 0)
    assert [r.partition for r in results["batch"]] == [1, 0, 1]
    assert results["confirmed"].partition == 0
    assert not results["reliable"].duplicate
    assert sorted(results["payloads"]) == sorted([b"one", b"0", b"1", b"2", b"pipelined", b"fire", b"safe"])
    assert results["topology"].find("orders").partitions == 2
    assert not results["thread"].is_alive()
    assert len(broker.messages(Goodbye)) == 1


async def test_blocking_iteration_raises_when_the_broker_ends_the_subscription(broker: FakeBroker) -> None:
    broker.add_queue("orders")

    def scenario() -> sinew.SubscriptionEndedError:
        with blocking.SinewClient.connect(options_for(broker)) as client:
            subscription = client.subscribe("orders")
            broker_loop.call_soon_threadsafe(
                lambda: broker.close_subscription(min(broker.session.subscriptions), CloseReason.DELETED)
            )
            try:
                for _ in subscription:
                    pass
            except sinew.SubscriptionEndedError as error:
                return error
            raise AssertionError("iteration stopped silently")

    broker_loop = asyncio.get_running_loop()
    error = await asyncio.to_thread(scenario)
    assert error.reason == sinew.SubscriptionEndReason.DELETED


async def test_blocking_errors_are_the_same_typed_errors(broker: FakeBroker) -> None:
    def scenario() -> None:
        with blocking.SinewClient.connect(options_for(broker)) as client:
            with pytest.raises(sinew.BrokerError) as caught:
                client.create_publisher("missing").publish(sinew.OutgoingMessage(b""))
            assert caught.value.code == "not_found"
            with pytest.raises(sinew.OperationTimeoutError):
                client.subscribe("orders", sinew.SubscribeOptions(partition=0)).next(timeout=0.01)

    broker.add_queue("orders")
    await asyncio.to_thread(scenario)


async def test_a_failed_blocking_connect_stops_its_loop_thread() -> None:
    before = {thread.name for thread in threading.enumerate()}

    def scenario() -> None:
        with pytest.raises(sinew.SinewConnectionError):
            blocking.SinewClient.connect(options_for("127.0.0.1:1", connect_timeout=0.5))

    await asyncio.to_thread(scenario)
    leftover = {t.name for t in threading.enumerate() if t.name.startswith("sinew-loop")} - before
    assert leftover == set()


async def test_blocking_calls_after_close_raise_client_closed(broker: FakeBroker) -> None:
    def scenario() -> None:
        client = blocking.SinewClient.connect(options_for(broker))
        publisher = client.create_publisher("orders")
        client.close()
        client.close()
        with pytest.raises(sinew.ClientClosedError):
            publisher.publish(sinew.OutgoingMessage(b""))
        with pytest.raises(sinew.ClientClosedError):
            client.declare_queue("orders")

    await asyncio.to_thread(scenario)


@pytest.fixture
async def broker() -> AsyncIterator[FakeBroker]:
    # Transitional: the queue-model fake until this module is rewritten.
    fake = await FakeBroker().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def client(broker: FakeBroker) -> AsyncIterator[SinewClient]:
    from support.options import options_for

    connected = await SinewClient.connect(options_for(broker))
    yield connected
    await connected.close()
