"""What a client tells about itself and how it connects on demand, the same in every client:
`ensure_connected()` connects (or reconnects after a drop) now, `is_closed` says whether
closing began, `options` gives back the options the client was made with. A fault proxy cuts
the connection."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from support.fault_proxy import FaultProxy, running_proxy
from support.integration import broker_options
from support.real_broker import RealBroker

from sinew import ClientClosedError, SinewClient


@pytest.fixture
def proxy(module_broker: RealBroker) -> Iterator[FaultProxy]:
    with running_proxy(module_broker.address) as started:
        yield started


async def test_ensure_connected_reconnects_now_after_a_drop_and_fails_once_closed(
    proxy: FaultProxy,
) -> None:
    client = SinewClient(broker_options(proxy.address))
    assert not client.is_connected
    await client.ensure_connected()
    assert client.is_connected

    proxy.cut()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while client.is_connected:
        assert loop.time() < deadline, "the client did not notice the cut"
        await asyncio.sleep(0.01)
    await client.ensure_connected()
    assert client.is_connected
    assert proxy.connections().accepted == 2

    assert not client.is_closed
    await client.close()
    assert client.is_closed
    with pytest.raises(ClientClosedError):
        await client.ensure_connected()


async def test_options_are_those_the_client_was_made_with(module_broker: RealBroker) -> None:
    options = broker_options(module_broker, request_timeout=7.0)
    async with SinewClient.connect(options) as client:
        assert client.options == options
        assert client.options.request_timeout == 7.0
