"""Closing a publisher, the same in every client: later publishes raise `ClientClosedError`,
closing waits for the confirmations still expected, a reliable publisher's retry wait stops,
and the client stays open. A fault proxy holds the broker's answers back so that a
confirmation is certainly still on its way."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from support.fault_proxy import FaultProxy, running_proxy
from support.integration import broker_options
from support.real_broker import RealBroker

from sinew import (
    ClientClosedError,
    ConnectionLostError,
    OutgoingMessage,
    ReliablePublisherOptions,
    SinewClient,
)


@pytest.fixture
def proxy(module_broker: RealBroker) -> Iterator[FaultProxy]:
    with running_proxy(module_broker.address) as started:
        yield started


async def _wait_until(condition: object, what: str, timeout: float = 10.0) -> None:
    assert callable(condition)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"timed out waiting until {what}"
        await asyncio.sleep(0.01)


async def test_closing_waits_for_the_confirmations_still_expected_then_refuses_publishes(
    proxy: FaultProxy, queue_name: str
) -> None:
    async with SinewClient.connect(broker_options(proxy.address, request_timeout=20.0)) as client:
        await client.declare_queue(queue_name)
        publisher = client.create_publisher(queue_name)

        proxy.stall("down")
        confirmation = await publisher.publish_with_confirmation(OutgoingMessage.from_text("pending"))
        closing = asyncio.ensure_future(publisher.close())
        await asyncio.sleep(0)
        assert not confirmation.done()
        with pytest.raises(ClientClosedError):
            await publisher.publish(OutgoingMessage.from_text("late"))
        assert not closing.done()

        proxy.resume("down")
        await asyncio.wait_for(closing, 10)
        assert confirmation.done()
        assert (await confirmation).offset == 0
        with pytest.raises(ClientClosedError):
            await publisher.publish(OutgoingMessage.from_text("later"))
        other = await client.create_publisher(queue_name).publish(OutgoingMessage.from_text("other"))
        assert other.offset == 1


async def test_closing_a_reliable_publisher_stops_a_retry_waiting_for_its_next_attempt(
    proxy: FaultProxy, queue_name: str
) -> None:
    async with SinewClient.connect(broker_options(proxy.address)) as client:
        await client.declare_queue(queue_name)
        options = ReliablePublisherOptions(initial_retry_delay=30.0, max_retry_delay=30.0)
        async with client.create_reliable_publisher(queue_name, options) as publisher:
            # The first attempt is cut off with its connection; the retry then waits 30 s.
            proxy.stall("down")
            before = proxy.connections().open[0].up.read
            publishing = asyncio.ensure_future(
                publisher.publish(OutgoingMessage.from_text("retried"))
            )
            await _wait_until(
                lambda: proxy.connections().open[0].up.read > before, "the publish was written"
            )
            proxy.cut()
            await _wait_until(lambda: not client.is_connected, "the client noticed the cut")

        with pytest.raises(ClientClosedError) as raised:
            await asyncio.wait_for(publishing, 10)
        assert isinstance(raised.value.__cause__, ConnectionLostError)
        with pytest.raises(ClientClosedError):
            await publisher.publish(OutgoingMessage.from_text("late"))
