"""What the integration tests against the real broker share: client options with short
timeouts, taking deliveries, and waiting for what the broker does on its own."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from support.real_broker import RealBroker

from sinew import (
    BrokerError,
    Delivery,
    ReconnectPolicy,
    SinewClient,
    SinewClientOptions,
    SubscribeOptions,
    Subscription,
)

QUICK_RECONNECT = ReconnectPolicy(max_attempts=5, initial_delay=0.05, max_delay=0.5)


def broker_options(broker: RealBroker | str, **overrides: Any) -> SinewClientOptions:
    """Client options for the real broker: timeouts short enough that a broken test fails
    well within its time limit."""
    settings: dict[str, Any] = {
        "endpoints": broker if isinstance(broker, str) else broker.address,
        "connect_timeout": 5.0,
        "request_timeout": 10.0,
        "close_timeout": 2.0,
        "reconnect": QUICK_RECONNECT,
    }
    settings.update(overrides)
    return SinewClientOptions(**settings)


async def take(subscription: Subscription, count: int, timeout: float = 5.0) -> list[Delivery]:
    """The next `count` deliveries, each within `timeout`."""
    return [await subscription.receive(timeout=timeout) for _ in range(count)]


async def eventually(
    attempt: Callable[[], Awaitable[Any]], *, timeout: float = 5.0, interval: float = 0.05
) -> Any:
    """The first result of `attempt` that does not raise `BrokerError`, retried until
    `timeout` (for a queue the broker creates on its own, such as a dead-letter target)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            return await attempt()
        except BrokerError:
            if loop.time() >= deadline:
                raise
        await asyncio.sleep(interval)


async def dead_letters(
    client: SinewClient, topic: str, count: int, *, group: str | None = None
) -> list[Delivery]:
    """`count` messages from the dead-letter queue `topic`, acknowledged; the broker may
    create the queue only with its first dead letter, so subscribing is retried."""
    options = SubscribeOptions(group=group)
    subscription = await eventually(lambda: client.subscribe(topic, options))
    async with subscription:
        received = await take(subscription, count)
        for delivery in received:
            await delivery.ack()
    return received


def other_tasks() -> list[asyncio.Task[Any]]:
    """Tasks on the running loop other than the calling test's own."""
    current = asyncio.current_task()
    return [task for task in asyncio.all_tasks() if task is not current and not task.done()]
