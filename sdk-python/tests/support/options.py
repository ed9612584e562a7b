"""Client options for tests: short timeouts, so a failing test fails fast rather than hangs."""

from __future__ import annotations

from typing import Any

from support.fake_broker import FakeBroker

from sinew import ReconnectPolicy, SinewClientOptions

FAST_RECONNECT = ReconnectPolicy(max_attempts=3, initial_delay=0.01, max_delay=0.05, jitter=0)


def options_for(broker: FakeBroker | str, **overrides: Any) -> SinewClientOptions:
    """Options with short timeouts, so a failing test fails fast rather than hanging."""
    settings: dict[str, Any] = {
        "endpoints": broker if isinstance(broker, str) else broker.address,
        "heartbeat": None,
        "connect_timeout": 2.0,
        "request_timeout": 2.0,
        "close_timeout": 0.5,
        "reconnect": FAST_RECONNECT,
    }
    settings.update(overrides)
    return SinewClientOptions(**settings)
