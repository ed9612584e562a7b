"""The structured fields the connection errors carry, the same in every client: the endpoints
a failed connect tried and how each failed (`ConnectionFailure` records), the endpoint whose
connection dropped, and the time limit that expired. The real broker behind a fault proxy,
and loopback ports nothing listens on."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest
from support.fault_proxy import FaultProxy, running_proxy
from support.integration import broker_options
from support.real_broker import RealBroker

from sinew import (
    ConnectionFailure,
    ConnectionLostError,
    OperationTimeoutError,
    OutgoingMessage,
    ReconnectPolicy,
    SinewClient,
    SinewConnectionError,
)


@pytest.fixture
def proxy(module_broker: RealBroker) -> Iterator[FaultProxy]:
    with running_proxy(module_broker.address) as started:
        yield started


def _closed_endpoint() -> str:
    """A loopback address nothing listens on: a port the system handed out and took back."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"127.0.0.1:{port}"


async def _wait_until(condition: object, what: str, timeout: float = 10.0) -> None:
    assert callable(condition)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"timed out waiting until {what}"
        await asyncio.sleep(0.01)


async def test_a_failed_connect_lists_every_endpoint_tried_with_its_error_in_order() -> None:
    endpoints = (_closed_endpoint(), _closed_endpoint())
    with pytest.raises(SinewConnectionError) as raised:
        await SinewClient.connect(broker_options(endpoints[0], endpoints=endpoints))
    failures = raised.value.failures
    assert all(isinstance(failure, ConnectionFailure) for failure in failures)
    assert [failure.endpoint for failure in failures] == list(endpoints)
    assert all(isinstance(failure.error, SinewConnectionError) for failure in failures)


async def test_a_failed_reconnect_lists_the_endpoints_of_every_attempt(proxy: FaultProxy) -> None:
    policy = ReconnectPolicy(max_attempts=2, initial_delay=0.01, max_delay=0.02, jitter=0)
    async with SinewClient.connect(
        # The timeout bounds each blackholed reconnect attempt and the first connect too: long enough for a
        # handshake through the proxy on a loaded machine (0.5 s was not).
        broker_options(proxy.address, connect_timeout=3.0, reconnect=policy)
    ) as client:
        proxy.blackhole("new")
        proxy.cut()
        await _wait_until(lambda: not client.is_connected, "the client noticed the cut")
        with pytest.raises(SinewConnectionError) as raised:
            await client.topology()
    assert [failure.endpoint for failure in raised.value.failures] == [proxy.address] * 2


async def test_an_operation_cut_off_with_its_connection_names_the_endpoint(
    proxy: FaultProxy, queue_name: str
) -> None:
    options = broker_options(proxy.address, reconnect=ReconnectPolicy.disabled())
    async with SinewClient.connect(options) as client:
        await client.declare_queue(queue_name)
        # The broker's answer never arrives; the connection is cut while the publish waits.
        proxy.stall("down")
        before = proxy.connections().open[0].up.read
        publishing = asyncio.ensure_future(
            client.create_publisher(queue_name).publish(OutgoingMessage.from_text("cut"))
        )
        await _wait_until(
            lambda: proxy.connections().open[0].up.read > before, "the publish was written"
        )
        proxy.cut()
        with pytest.raises(ConnectionLostError) as raised:
            await publishing
    assert raised.value.endpoint == proxy.address


async def test_a_request_that_times_out_names_the_request_timeout(proxy: FaultProxy) -> None:
    async with SinewClient.connect(broker_options(proxy.address, request_timeout=0.4)) as client:
        proxy.stall("up")
        with pytest.raises(OperationTimeoutError) as raised:
            await client.topology()
    assert raised.value.timeout == 0.4
