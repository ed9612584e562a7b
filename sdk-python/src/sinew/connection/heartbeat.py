"""Heartbeats (section 4.4 of the specification): a `Ping` after an interval without
sending, and a dead connection after three intervals without receiving. Silence is not
judged while the connection has paused reading: the broker's frames are then waiting unread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Final

__all__ = ["DEAD_AFTER_INTERVALS", "Heartbeat"]

DEAD_AFTER_INTERVALS: Final = 3


class Heartbeat:
    def __init__(
        self,
        interval: float,
        *,
        clock: Callable[[], float],
        last_sent: Callable[[], float],
        last_received: Callable[[], float],
        send_ping: Callable[[], None],
        is_paused: Callable[[], bool] = lambda: False,
        on_dead: Callable[[float], None],
    ) -> None:
        if interval <= 0:
            raise ValueError("a heartbeat needs a positive interval")
        self.interval = interval
        self._clock = clock
        self._last_sent = last_sent
        self._last_received = last_received
        self._send_ping = send_ping
        self._is_paused = is_paused
        self._on_dead = on_dead

    async def run(self) -> None:
        """Runs until the connection is declared dead or the task is cancelled."""
        dead_after = DEAD_AFTER_INTERVALS * self.interval
        while True:
            now = self._clock()
            paused = self._is_paused()
            silence = now - self._last_received()
            if silence >= dead_after and not paused:
                self._on_dead(silence)
                return
            if now - self._last_sent() >= self.interval:
                self._send_ping()
            next_check = self._last_sent() + self.interval
            if not paused:
                next_check = min(next_check, self._last_received() + dead_after)
            # A floor keeps a clock that has not moved from turning this into a busy loop.
            await asyncio.sleep(max(next_check - self._clock(), self.interval / 100))
