"""Connecting: the handshake succeeds, or fails fast with a typed error that says why."""

from __future__ import annotations

import asyncio
import socket

import pytest
from support.options import options_for
from support.fake_broker import FakeBroker
from support.non_broker_servers import start_http_server
from support.scripted_frames import (
    ERROR_PROTOCOL_MISMATCH,
    ERROR_UNAUTHORIZED,
    answer_hello_with,
    error,
    hello_ok,
    hello_ok_vector,
    with_request_id,
)
from support.scripted_frames import topology as topology_of

from sinew import BrokerError, BrokerLimits, SinewClient, SinewConnectionError, SinewCredentials
from sinew.version import __version__
from sinew.wire import AuthMechanism, Frame, Hello, HelloOk, TopologyRequest


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_handshake_sends_hello_offering_version_1_and_connects(broker: FakeBroker) -> None:
    async with SinewClient.connect(options_for(broker, client_name="billing", heartbeat=5)) as client:
        assert client.is_connected
    hello = broker.messages(Hello)[0]
    assert isinstance(hello, Hello)
    assert (hello.min_version, hello.max_version) == (1, 1)
    assert (hello.client_name, hello.client_version) == ("billing", __version__)
    assert hello.heartbeat_ms == 5000
    assert hello.auth is None and hello.resume_token is None


async def test_credentials_travel_in_hello() -> None:
    broker = await FakeBroker().start()
    try:
        options = options_for(broker, credentials=SinewCredentials.plain("alice", "pw"))
        async with SinewClient.connect(options):
            pass
        hello = broker.messages(Hello)[0]
        assert isinstance(hello, Hello) and hello.auth is not None
        assert (hello.auth.mechanism, hello.auth.identity, hello.auth.secret) == (AuthMechanism.PLAIN, "alice", "pw")
    finally:
        await broker.stop()


async def test_no_common_version_fails_with_protocol_mismatch_and_its_details() -> None:
    refusal = error(ERROR_PROTOCOL_MISMATCH, "no common protocol version", details={"supported": "2"})
    broker = await FakeBroker(handshake=answer_hello_with(refusal)).start()
    try:
        with pytest.raises(BrokerError) as caught:
            await SinewClient.connect(options_for(broker))
        assert caught.value.code == "protocol_mismatch"
        assert caught.value.details["supported"] == "2"
    finally:
        await broker.stop()


def _choosing_version_2(hello: Frame, connection_number: int) -> bytes:
    # The vector's bytes with the version, the body's first field after the array marker at
    # byte 16, set to 2.
    raw = bytearray(with_request_id(hello_ok_vector().raw, hello.request_id))
    assert raw[16:18] == b"\x98\x01"
    raw[17] = 2
    return bytes(raw)


async def test_a_chosen_version_outside_the_offer_is_refused() -> None:
    broker = await FakeBroker(handshake=_choosing_version_2).start()
    try:
        with pytest.raises(SinewConnectionError, match="outside"):
            await SinewClient.connect(options_for(broker))
    finally:
        await broker.stop()


async def test_an_http_server_is_recognised_at_once_as_not_a_sinew_broker() -> None:
    server, address = await start_http_server()
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(SinewConnectionError) as caught:
            await SinewClient.connect(options_for(address, connect_timeout=10))
        # Well under the connect timeout: the bytes gave it away.
        assert loop.time() - started < 5
        assert "not Sinew frames" in caught.value.message
        assert caught.value.code == "connection_failed" and caught.value.is_retryable
        assert [endpoint for endpoint, _ in caught.value.failures] == [address]
    finally:
        server.close()


async def test_a_refused_connection_fails_with_connection_error() -> None:
    address = f"127.0.0.1:{_unused_port()}"
    with pytest.raises(SinewConnectionError) as caught:
        await SinewClient.connect(options_for(address))
    assert address in caught.value.message


async def test_endpoints_are_tried_in_order_until_one_answers(broker: FakeBroker) -> None:
    server, http_address = await start_http_server()
    refused = f"127.0.0.1:{_unused_port()}"
    try:
        async with SinewClient.connect(options_for(broker, endpoints=[refused, http_address, broker.address])) as client:
            assert client.is_connected
        assert broker.connections_accepted == 1
    finally:
        server.close()


async def test_a_handshake_refusal_is_not_retried_on_the_next_endpoint() -> None:
    refusal = error(ERROR_UNAUTHORIZED, "bad credentials")
    strict = await FakeBroker(handshake=answer_hello_with(refusal)).start()
    other = await FakeBroker().start()
    try:
        with pytest.raises(BrokerError):
            await SinewClient.connect(options_for(strict, endpoints=[strict.address, other.address]))
        assert other.connections_accepted == 0
    finally:
        await strict.stop()
        await other.stop()


def _new_session_each_time(hello: Frame, connection_number: int) -> bytes | HelloOk:
    if connection_number == 1:
        return with_request_id(hello_ok_vector().raw, hello.request_id)
    return hello_ok(session_id=f"session-{connection_number}")


async def test_server_info_describes_the_current_connection() -> None:
    broker = await FakeBroker(handshake=_new_session_each_time).start()
    try:
        vector = hello_ok_vector().fields
        client = await SinewClient.connect(options_for(broker))
        info = client.server_info
        assert info is not None
        assert (info.endpoint, info.server_id, info.server_version) == (
            broker.address, vector["server_id"], vector["server_version"]
        )
        assert (info.session_id, info.protocol_version, info.heartbeat) == (vector["session_id"], 1, 5.0)
        assert info.limits == BrokerLimits(
            max_frame_bytes=16 * 1024 * 1024, max_batch_messages=1024, max_headers=64, max_prefetch=65_535
        )
        # A reconnection is a new session.
        broker.drop_connections()
        await broker.wait_for(lambda: client.server_info is None)
        topology = asyncio.ensure_future(client.topology())
        broker.reply(await broker.next_frame(TopologyRequest), topology_of())
        await topology
        assert client.server_info is not None and client.server_info.session_id == "session-2"
        await client.close()
        assert client.server_info is None
    finally:
        await broker.stop()


@pytest.mark.parametrize("announced", [300_001, 2**64 - 1])
async def test_a_heartbeat_announced_above_five_minutes_is_used_as_five_minutes(
    announced: int,
) -> None:
    fake = await FakeBroker(handshake=answer_hello_with(hello_ok(heartbeat_ms=announced))).start()
    try:
        async with SinewClient.connect(options_for(fake)) as client:
            info = client.server_info
            assert info is not None and info.heartbeat == 300.0
    finally:
        await fake.stop()
