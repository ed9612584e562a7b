"""Fixtures for the integration tests against the real broker.

Most modules share one broker (`module_broker`) and keep apart by queue names unique to each
test (`queue_name`); tests that stop, restart or reconfigure the broker start their own.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator

import pytest
from support.integration import broker_options
from support.real_broker import RealBroker

from sinew import SinewClient

_numbers = itertools.count(1)


@pytest.fixture
def queue_name(request: pytest.FixtureRequest) -> str:
    """A queue name no other test uses, readable in the broker's logs."""
    base = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name.removeprefix("test_"))[:80]
    return f"{base}.{next(_numbers)}"


@pytest.fixture
async def client(module_broker: RealBroker) -> AsyncIterator[SinewClient]:
    """A client of the module's broker, closed after the test."""
    connected = await SinewClient.connect(broker_options(module_broker))
    yield connected
    await connected.close()
