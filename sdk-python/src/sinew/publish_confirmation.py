"""`PublishConfirmation`: the pending confirmation of a publish that has been sent.

`publish_with_confirmation` returns once the message is on its way; awaiting the
confirmation (or its `wait()`) gives the `PublishReceipt` once the broker made the message
durable. Many publishes can be in flight at once this way, each confirmed on its own. A
confirmation that fails while nobody awaits it is logged once at WARNING on the `sinew`
logger, when it is garbage collected.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

from sinew.publish_receipt import PublishReceipt

__all__ = ["PublishConfirmation"]


class PublishConfirmation:
    """Awaitable: `receipt = await confirmation`. Made by `Publisher.publish_with_confirmation`;
    confirmations cannot be constructed directly."""

    __slots__ = ("_receipt",)

    _receipt: asyncio.Future[PublishReceipt]

    def __init__(self) -> None:
        raise TypeError("confirmations are made by Publisher.publish_with_confirmation")

    @classmethod
    def _create(cls, receipt: asyncio.Future[PublishReceipt]) -> PublishConfirmation:
        confirmation = cls.__new__(cls)
        confirmation._receipt = receipt
        return confirmation

    def done(self) -> bool:
        """True once the broker answered (or the request failed)."""
        return self._receipt.done()

    async def wait(self) -> PublishReceipt:
        """The receipt, once the message is durable. Raises what the publish raised:
        `BrokerError`, `OperationTimeoutError`, `ConnectionLostError`, ...

        Cancelling the wait does not cancel the publish.
        """
        return await asyncio.shield(self._receipt)

    def __await__(self) -> Generator[Any, None, PublishReceipt]:
        return self.wait().__await__()
