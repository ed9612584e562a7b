"""`EventLoopThread`: an asyncio event loop on its own daemon thread, for the blocking API.

Blocking calls submit a coroutine of the asyncio client to this loop and wait for its
result, so the blocking API runs exactly the asyncio implementation. The thread is a daemon:
a client that is never closed does not keep the process alive.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from sinew.errors import ClientClosedError

__all__ = ["EventLoopThread"]

_T = TypeVar("_T")
_numbers = itertools.count(1)


class EventLoopThread:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._serve, name=f"sinew-loop-{next(_numbers)}", daemon=True
        )
        self._started = threading.Event()
        self._stopped = False

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    @property
    def is_running(self) -> bool:
        return self._thread.is_alive() and not self._stopped

    def start(self) -> None:
        self._thread.start()
        self._started.wait()

    def run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        """Run `coroutine` on the loop and wait for its result, here on the calling thread.

        An interrupt (Ctrl-C) while waiting cancels the coroutine before it propagates.
        """
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError(
                "a blocking Sinew call was made on its own event-loop thread (from a "
                "callback such as on_error); it would wait forever"
            )
        if not self.is_running:
            coroutine.close()
            raise ClientClosedError("the client is closed")
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise ClientClosedError("the call was cancelled because the client closed") from None
        except BaseException:
            future.cancel()
            raise

    def submit(self, coroutine: Coroutine[Any, Any, _T]) -> concurrent.futures.Future[_T]:
        """Start `coroutine` on the loop without waiting for it; its future can be waited on
        from any thread."""
        if not self.is_running:
            coroutine.close()
            raise ClientClosedError("the client is closed")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def stop(self) -> None:
        """Stop the loop, finish its remaining tasks and join the thread. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            if threading.current_thread() is not self._thread:
                self._thread.join()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(self._started.set)
        try:
            self._loop.run_forever()
        finally:
            leftover = asyncio.all_tasks(self._loop)
            for task in leftover:
                task.cancel()
            if leftover:
                self._loop.run_until_complete(asyncio.gather(*leftover, return_exceptions=True))
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()
