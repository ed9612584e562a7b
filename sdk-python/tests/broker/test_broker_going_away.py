"""The going-away notice of a real broker stopping gracefully (SIGTERM), as the client sees it:
the notice is logged with the broker's reason before the connection is reported lost, the loss
is the only error handed to `on_error` (the notice is none), subscriptions end with
`server_shutdown`, an operation while the broker is away fails typed, and the client reconnects
to its configured endpoint once the broker is back. A notice naming another endpoint is tested
against the scripted fake (tests/client/test_reconnect.py): a single broker never names one."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest
from support.integration import broker_options
from support.real_broker import RealBroker

from sinew import (
    ConnectionLostError,
    OutgoingMessage,
    SinewClient,
    SinewConnectionError,
    SinewError,
    SubscriptionEndedError,
    SubscriptionEndReason,
)

NOTICE = "the broker is going away: the broker is shutting down"


async def test_a_graceful_stop_is_a_notice_then_a_lost_connection_and_the_client_reconnects_to_its_endpoint(
    real_broker: RealBroker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sinew")
    errors: list[SinewError] = []
    endpoint = real_broker.address
    async with SinewClient.connect(broker_options(real_broker, on_error=errors.append)) as client:
        await client.declare_queue("orders")
        await client.create_publisher("orders").publish(OutgoingMessage.from_text("held"))
        subscription = await client.subscribe("orders")
        assert (await subscription.receive(timeout=5)).text() == "held"
        assert client.server_info is not None
        first_session = client.server_info.session_id

        assert await asyncio.to_thread(real_broker.stop) == 0
        with pytest.raises(SubscriptionEndedError) as ended:
            await subscription.receive(timeout=5)
        assert ended.value.reason == SubscriptionEndReason.SERVER_SHUTDOWN
        await asyncio.wait_for(_until(lambda: not client.is_connected and bool(errors)), 5)

        logged = [record.getMessage() for record in caplog.records if record.name.startswith("sinew")]
        assert logged.count(NOTICE) == 1, logged
        lost = [n for n, message in enumerate(logged) if message.startswith(f"connection to {endpoint} lost")]
        assert lost and logged.index(NOTICE) < lost[0], logged
        assert [type(error) for error in errors] == [ConnectionLostError]

        # While the broker is away an operation fails as a connection failure.
        with pytest.raises(SinewConnectionError):
            await client.declare_queue("orders")

        # Back on the same port: the configured endpoint, since the notice named no other.
        await asyncio.to_thread(real_broker.start)
        assert not (await client.declare_queue("orders")).created
        assert client.server_info is not None
        assert client.server_info.endpoint == endpoint
        assert client.server_info.session_id != first_session
        async with client.subscribe("orders") as again:
            redelivered = await again.receive(timeout=5)
            assert (redelivered.text(), redelivered.attempt) == ("held", 2)
            await redelivered.ack()


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.01)
