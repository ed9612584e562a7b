"""`ReadPause`: flow control on the read side of a connection. Consumers that cannot keep up
ask to stop reading the socket, so the broker's pushes wait in TCP rather than in the
client's memory; the socket stays paused while at least one of them asks and no request waits
for its reply (a reply can only be reached by reading what the broker sent before it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["ReadPause"]


class ReadPause:
    def __init__(self, set_transport_reading: Callable[[bool], None]) -> None:
        self._set_transport_reading = set_transport_reading
        self._owners: set[object] = set()
        self._paused = False
        self.reading = asyncio.Event()
        """Set while the read loop may read the socket."""
        self.reading.set()

    @property
    def is_paused(self) -> bool:
        return self._paused

    def ask(self, owner: object) -> bool:
        """`owner` asks for a pause; True when that is new."""
        if owner in self._owners:
            return False
        self._owners.add(owner)
        return True

    def withdraw(self, owner: object) -> bool:
        """`owner` no longer asks for a pause; True when it had asked."""
        if owner not in self._owners:
            return False
        self._owners.discard(owner)
        return True

    def update(self, *, replies_awaited: bool) -> bool:
        """Pause the socket when some owner asks for it and no reply is awaited, resume it
        otherwise. True when reading resumed just now."""
        pause = bool(self._owners) and not replies_awaited
        if pause == self._paused:
            return False
        self._paused = pause
        if pause:
            self.reading.clear()
        else:
            self.reading.set()
        self._set_transport_reading(not pause)
        return not pause

    def release(self) -> None:
        """Forget every owner and let the read loop run to its end (the connection ended)."""
        self._owners.clear()
        self._paused = False
        self.reading.set()
