"""The write path: frames queued by any caller go out in as few socket writes as possible.

Frames queued while a write is in progress (or within one event-loop iteration) are joined
and written together by one task, so a burst of publishes or settlements costs one system
call rather than one each. Callers that produce a lot wait for `wait_writable` so the queue
stays bounded when the broker reads slower than the client writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Final

__all__ = ["FrameWriter"]

HIGH_WATER_BYTES: Final = 1024 * 1024
"""Queued bytes above which `wait_writable` makes producers wait."""
LOW_WATER_BYTES: Final = 256 * 1024
"""Queued bytes below which waiting producers resume."""


class FrameWriter:
    def __init__(
        self,
        stream: asyncio.StreamWriter,
        *,
        on_failure: Callable[[BaseException], None],
        clock: Callable[[], float],
    ) -> None:
        self._stream = stream
        self._on_failure = on_failure
        self._clock = clock
        self._queued: list[bytes] = []
        self._queued_bytes = 0
        self._wake = asyncio.Event()
        self._writable = asyncio.Event()
        self._writable.set()
        self._closed = False
        self.last_queued_at = clock()
        """Loop time of the last frame queued; heartbeats count it as traffic sent."""
        self.writes_issued = 0
        """Socket writes made so far, each carrying one or more frames."""
        self.frames_written = 0

    @property
    def queued_bytes(self) -> int:
        return self._queued_bytes

    def enqueue(self, frame: bytes) -> None:
        """Queue one encoded frame; it is written by the write loop."""
        if self._closed:
            raise RuntimeError("the frame writer is closed")
        self._queued.append(frame)
        self._queued_bytes += len(frame)
        self.last_queued_at = self._clock()
        if self._queued_bytes > HIGH_WATER_BYTES:
            self._writable.clear()
        self._wake.set()

    async def wait_writable(self) -> None:
        """Return once the queue is below the high-water mark, or the writer is closed."""
        while not self._writable.is_set() and not self._closed:
            await self._writable.wait()

    def close(self) -> None:
        """Stop accepting frames and release producers waiting for room."""
        self._closed = True
        self._writable.set()
        self._wake.set()

    async def run(self) -> None:
        """The write loop; ends when closed, reporting a failed write to `on_failure`."""
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                if self._closed:
                    return
                if not self._queued:
                    continue
                frames, self._queued = self._queued, []
                data = frames[0] if len(frames) == 1 else b"".join(frames)
                self._stream.write(data)
                self.writes_issued += 1
                self.frames_written += len(frames)
                await self._stream.drain()
                self._queued_bytes -= len(data)
                if self._queued_bytes <= LOW_WATER_BYTES:
                    self._writable.set()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a broken socket, reported rather than lost in the task
            self._on_failure(error)
