"""The client reconnecting to the real broker behind the fault proxy: publishers keep their
routing across a new connection, a dropped connection is reported to `on_error` (a close is
not), and a reconnect that fails during a reliable publish's retry is one of its attempts.

The module shares one broker; each test puts a fault proxy of its own in front of it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from support.fault_proxy import FaultProxy, running_proxy
from support.integration import broker_options
from support.real_broker import RealBroker

from sinew import (
    ConnectionLostError,
    OutgoingMessage,
    QueueOptions,
    ReconnectPolicy,
    ReliablePublisherOptions,
    SinewClient,
    SinewConnectionError,
    SinewError,
)

FAST = {"initial_retry_delay": 0.001, "max_retry_delay": 0.01}


@pytest.fixture
def proxy(module_broker: RealBroker) -> Iterator[FaultProxy]:
    with running_proxy(module_broker.address) as started:
        yield started


async def _drop(proxy: FaultProxy, client: SinewClient) -> None:
    proxy.cut()
    async with asyncio.timeout(10):
        while client.is_connected:
            await asyncio.sleep(0.01)


async def test_publishers_keep_working_and_routing_after_a_reconnect(proxy: FaultProxy, queue_name: str) -> None:
    async with SinewClient.connect(broker_options(proxy.address)) as client:
        await client.declare_queue(queue_name, QueueOptions(partitions=2))
        publisher = client.create_publisher(queue_name)
        assert (await publisher.publish(OutgoingMessage(b""))).partition == 0
        await _drop(proxy, client)
        assert (await publisher.publish(OutgoingMessage(b""))).partition == 1
        assert (await publisher.publish(OutgoingMessage(b""))).partition == 0
        assert proxy.connections().accepted == 2


async def test_a_dropped_connection_is_reported_to_on_error_but_a_close_is_not(
    proxy: FaultProxy, queue_name: str
) -> None:
    seen: list[SinewError] = []
    async with SinewClient.connect(broker_options(proxy.address, on_error=seen.append)) as client:
        await _drop(proxy, client)
        await asyncio.sleep(0)  # on_error runs on a later turn of the loop
        assert len(seen) == 1 and isinstance(seen[0], ConnectionLostError)
        await client.declare_queue(queue_name)
    assert len(seen) == 1


async def test_a_failed_reconnect_counts_as_a_retryable_attempt(proxy: FaultProxy, queue_name: str) -> None:
    policy = ReconnectPolicy(max_attempts=1, initial_delay=0.001, max_delay=0.001)
    async with SinewClient.connect(broker_options(proxy.address, reconnect=policy)) as client:
        await client.declare_queue(queue_name)
        proxy.stop()  # its connections close and its port refuses the reconnects
        publisher = client.create_reliable_publisher(queue_name, ReliablePublisherOptions(max_attempts=2, **FAST))
        with pytest.raises(SinewConnectionError):
            await publisher.publish(OutgoingMessage(b""))
        await asyncio.sleep(0)
