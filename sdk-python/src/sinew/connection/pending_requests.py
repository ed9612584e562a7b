"""The table of requests awaiting a reply, keyed by request id, and the id allocator.

Ids run from 1 upwards and wrap from 0xFFFFFFFF back to 1, skipping ids still awaiting a
reply (section 2.2 of the specification); 0 is never used because it means "no reply".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sinew.errors import ProtocolError, broker_error
from sinew.wire.limits import MAX_U32
from sinew.wire.messages import Error, Message

_log = logging.getLogger("sinew.connection")

__all__ = ["PendingRequest", "PendingRequests"]


@dataclass(slots=True)
class PendingRequest:
    future: asyncio.Future[Message]
    context: str
    """What the request does, for error messages (`publish to 'orders'`)."""
    expects: tuple[type, ...]
    """Reply types that mean success; `Error` is always accepted as a failure."""
    on_reply: Callable[[Message], None] | None = None
    """Runs in the read loop as the successful reply is dispatched, before any later frame,
    so that for example a subscription is registered before its first `Deliver`."""
    timer: asyncio.TimerHandle | None = field(default=None)
    awaited: bool = True
    """Whether a caller waits for the reply. A heartbeat `Ping` is not: its `Pong` may stay
    unread behind flow control, since silence is not judged while reading is paused."""

    def complete(self, reply: Message, *, endpoint: str) -> None:
        """Settle the future with its reply: a `BrokerError` for an `Error`, the reply when
        it is of an expected type (after `on_reply`), a `ProtocolError` otherwise."""
        if isinstance(reply, Error):
            self.future.set_exception(
                broker_error(
                    reply.code,
                    retryable=reply.retryable,
                    broker_message=reply.message,
                    details=reply.details,
                    context=self.context,
                )
            )
        elif isinstance(reply, self.expects):
            if self.on_reply is not None:
                try:
                    self.on_reply(reply)
                except Exception as error:
                    _log.exception("a reply handler failed for %s", self.context)
                    self.future.set_exception(error)
                    return
            self.future.set_result(reply)
        else:
            expected = " or ".join(kind.__name__ for kind in self.expects)
            self.future.set_exception(
                ProtocolError(
                    f"{self.context}: {endpoint} answered {type(reply).__name__} "
                    f"where {expected} was expected"
                )
            )


class PendingRequests:
    def __init__(self, *, first_id: int = 1) -> None:
        self._entries: dict[int, PendingRequest] = {}
        self._next_id = first_id
        self._awaited = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def awaited(self) -> int:
        """Entries a caller waits for (every entry but heartbeat pings)."""
        return self._awaited

    def allocate_id(self) -> int:
        """The next free request id."""
        if len(self._entries) >= MAX_U32:
            raise RuntimeError("every request id is awaiting a reply")
        while True:
            request_id = self._next_id
            self._next_id = 1 if request_id >= MAX_U32 else request_id + 1
            if request_id not in self._entries:
                return request_id

    def add(self, request_id: int, entry: PendingRequest) -> None:
        self._entries[request_id] = entry
        if entry.awaited:
            self._awaited += 1

    def pop(self, request_id: int) -> PendingRequest | None:
        """Remove and return the entry, cancelling its timer."""
        entry = self._entries.pop(request_id, None)
        if entry is not None:
            if entry.awaited:
                self._awaited -= 1
            if entry.timer is not None:
                entry.timer.cancel()
        return entry

    def drain(self) -> Iterator[PendingRequest]:
        """Remove every entry, cancelling the timers, and yield them."""
        entries, self._entries = self._entries, {}
        self._awaited = 0
        for entry in entries.values():
            if entry.timer is not None:
                entry.timer.cancel()
            yield entry
