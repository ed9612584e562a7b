"""Fixtures for the client tests: a fake broker per test and clients connected to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from support.fake_broker import FakeBroker
from support.options import options_for

from sinew import SinewClient


@pytest.fixture
async def broker() -> AsyncIterator[FakeBroker]:
    fake = await FakeBroker().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def client(broker: FakeBroker) -> AsyncIterator[SinewClient]:
    connected = await SinewClient.connect(options_for(broker))
    yield connected
    await connected.close()
