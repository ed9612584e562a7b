"""Connecting to the real broker: the handshake, credentials, heartbeats, and a peer that is
not a Sinew broker or is not there at all."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest
from support.integration import broker_options
from support.real_broker import RealBroker, running_broker

from sinew import (
    BrokerError,
    OutgoingMessage,
    QueueOptions,
    SinewClient,
    SinewConnectionError,
    SinewCredentials,
)

USER = "alice"
PASSWORD = "s3cret: with a colon"


@pytest.fixture(scope="module")
def secured_broker() -> Iterator[RealBroker]:
    with running_broker("--user", f"{USER}:{PASSWORD}") as broker:
        yield broker


async def test_the_handshake_gives_a_session_with_the_brokers_limits(module_broker: RealBroker) -> None:
    async with SinewClient.connect(broker_options(module_broker, client_name="handshake-test")) as client:
        assert client.is_connected
        info = client.server_info
        assert info is not None
        assert info.protocol_version == 1 and info.server_id and info.session_id
        assert (info.endpoint, info.server_version) == (module_broker.address, "0.1.0")
        assert info.heartbeat == 10.0  # the client's default, which the broker accepts
        assert info.limits.max_batch_messages == 1024 and info.limits.max_prefetch == 65_535
        connection = client._core.connection
        assert connection is not None and not connection.session.resumed
        topology = await client.topology()
        assert topology.brokers and module_broker.address in topology.brokers[0].endpoints
    assert client.is_closed and not client.is_connected


async def test_connect_can_be_awaited_then_closed(module_broker: RealBroker, queue_name: str) -> None:
    client = await SinewClient.connect(broker_options(module_broker))
    try:
        assert (await client.declare_queue(queue_name)).created
    finally:
        await client.close()
    await client.close()  # idempotent


async def test_connect_can_be_awaited_as_well_as_entered(module_broker: RealBroker) -> None:
    client = await SinewClient.connect(broker_options(module_broker))
    try:
        assert client.is_connected
    finally:
        await client.close()


async def test_each_connection_is_a_new_session(module_broker: RealBroker) -> None:
    async with SinewClient.connect(broker_options(module_broker)) as first:
        async with SinewClient.connect(broker_options(module_broker)) as second:
            assert first.server_info is not None and second.server_info is not None
            assert first.server_info.session_id != second.server_info.session_id
            assert first.server_info.server_id == second.server_info.server_id


async def test_wrong_credentials_are_refused_as_unauthorized(secured_broker: RealBroker) -> None:
    for credentials in (None, SinewCredentials.plain(USER, "wrong"), SinewCredentials.plain("mallory", PASSWORD)):
        with pytest.raises(BrokerError) as caught:
            await SinewClient.connect(broker_options(secured_broker, credentials=credentials))
        assert caught.value.code == "unauthorized" and caught.value.broker_code == 6
        assert not caught.value.is_retryable


async def test_wrong_credentials_fail_with_unauthorized(secured_broker: RealBroker) -> None:
    with pytest.raises(BrokerError) as caught:
        await SinewClient.connect(broker_options(secured_broker, credentials=SinewCredentials.plain(USER, "no")))
    assert caught.value.code == "unauthorized"
    assert not caught.value.is_retryable
    assert "credentials" in caught.value.message


async def test_a_token_is_refused_by_a_broker_that_takes_user_names(secured_broker: RealBroker) -> None:
    with pytest.raises(BrokerError) as caught:
        await SinewClient.connect(broker_options(secured_broker, credentials=SinewCredentials.token("t")))
    assert caught.value.code == "unauthorized"


async def test_the_right_credentials_connect_and_work(secured_broker: RealBroker, queue_name: str) -> None:
    options = broker_options(secured_broker, credentials=SinewCredentials.plain(USER, PASSWORD))
    async with SinewClient.connect(options) as client:
        await client.declare_queue(queue_name)
        receipt = await client.create_publisher(queue_name).publish(OutgoingMessage.from_text("in"))
        assert receipt.offset == 0


async def test_the_brokers_http_port_is_recognised_as_not_a_sinew_broker(module_broker: RealBroker) -> None:
    options = broker_options(module_broker.http_address, connect_timeout=20)
    with pytest.raises(SinewConnectionError) as caught:
        await SinewClient.connect(options)
    (endpoint, failure), = caught.value.failures
    assert endpoint == module_broker.http_address
    # It failed on what the peer answered, not by waiting out the connect timeout.
    assert "not Sinew frames" in str(failure) or "closed the connection" in str(failure)
    assert not isinstance(failure.__cause__, TimeoutError)
    assert caught.value.is_retryable


async def test_a_port_nobody_listens_on_fails_with_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    with pytest.raises(SinewConnectionError) as caught:
        await SinewClient.connect(broker_options(f"127.0.0.1:{free_port}"))
    assert caught.value.code == "connection_failed"


async def test_endpoints_are_tried_in_order_until_one_answers(module_broker: RealBroker, queue_name: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{probe.getsockname()[1]}"
    options = broker_options(module_broker, endpoints=[dead, module_broker.address])
    async with SinewClient.connect(options) as client:
        assert client.server_info is not None and client.server_info.endpoint == module_broker.address
        await client.declare_queue(queue_name, QueueOptions(partitions=2))


async def test_heartbeats_keep_an_idle_connection_alive() -> None:
    # Without a preference from the client, the broker's own short interval applies.
    with running_broker("--set", "connection.heartbeat_ms=300") as broker:
        async with SinewClient.connect(broker_options(broker, heartbeat=None)) as client:
            info = client.server_info
            assert info is not None and info.heartbeat == 0.3
            connection = client._core.connection
            await asyncio.sleep(1.2)  # four intervals: only the Pings keep both sides content
            assert client.is_connected and connection is client._core.connection
            await client.topology()
