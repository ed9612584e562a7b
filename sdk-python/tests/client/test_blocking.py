"""The blocking facade: it drives the asyncio client on its own loop thread, behaves the
same, stops that thread on close, and offers a twin of every public async method.

The blocking API against the real broker's queues is in tests/broker/test_broker_blocking.py."""

from __future__ import annotations

import asyncio
import inspect
import threading
import types
from typing import Any

import pytest
from support.fake_broker import FakeBroker
from support.options import options_for
from support.scripted_frames import ok, subscribe_ok, topology

import sinew
import sinew.blocking as blocking
from sinew import awaitable_context
from sinew.wire import CloseReason, Goodbye, Subscribe, SubscriptionClosed, TopologyRequest, Unsubscribe

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


async def test_blocking_iteration_raises_when_the_broker_ends_the_subscription(broker: FakeBroker) -> None:
    broker.answer(TopologyRequest, lambda frame: topology(("orders", 1)))
    broker.answer(Subscribe, subscribe_ok)
    broker.answer(Unsubscribe, lambda frame: ok())

    def end_subscription() -> None:
        (subscribed,) = broker.frames(Subscribe)
        broker.push(SubscriptionClosed(
            subscription_id=subscribed.request_id, reason=CloseReason.DELETED, message=""
        ))

    def scenario() -> sinew.SubscriptionEndedError:
        with blocking.SinewClient.connect(options_for(broker)) as client:
            subscription = client.subscribe("orders")
            broker_loop.call_soon_threadsafe(end_subscription)
            try:
                for _ in subscription:
                    pass
            except sinew.SubscriptionEndedError as error:
                return error
            raise AssertionError("iteration stopped silently")

    broker_loop = asyncio.get_running_loop()
    error = await asyncio.to_thread(scenario)
    assert error.reason == sinew.SubscriptionEndReason.DELETED


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
    assert len(broker.messages(Goodbye)) == 1

