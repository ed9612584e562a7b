"""`PublishConfirmation`: the pending confirmation of a publish that has been sent.

`publish_with_confirmation` returns once the message is on its way; awaiting the
confirmation (or its `wait()`) gives the `PublishReceipt` once the broker made the message
durable. Many publishes can be in flight at once this way, each confirmed on its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from typing import Any

from sinew.errors import ProtocolError, SinewError
from sinew.publish_receipt import PublishReceipt
from sinew.wire.messages import Message, PublishOk

__all__ = ["PublishConfirmation"]


class PublishConfirmation:
    """Awaitable: `receipt = await confirmation`."""

    def __init__(
        self,
        reply: asyncio.Future[Message],
        *,
        context: str,
        on_failure: Callable[[SinewError], None],
    ) -> None:
        self._reply = reply
        self._context = context
        self._on_failure = on_failure

    def done(self) -> bool:
        """True once the broker answered (or the request failed)."""
        return self._reply.done()

    async def wait(self) -> PublishReceipt:
        """The receipt, once the message is durable. Raises what the publish raised:
        `BrokerError`, `OperationTimeoutError`, `ConnectionLostError`, ...

        Cancelling the wait does not cancel the publish.
        """
        try:
            reply = await asyncio.shield(self._reply)
        except SinewError as error:
            self._on_failure(error)
            raise
        if not isinstance(reply, PublishOk) or len(reply.results) != 1:
            raise ProtocolError(f"{self._context}: the confirmation holds no single result")
        return PublishReceipt.from_wire(reply.results[0])

    def __await__(self) -> Generator[Any, None, PublishReceipt]:
        return self.wait().__await__()
