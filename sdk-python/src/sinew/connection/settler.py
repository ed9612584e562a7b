"""Settlement batching: lease extensions, nacks and acks issued in the same event-loop
iteration leave together, as one `ExtendLease`, then one `Nack`, then one `Ack` frame (at
most `MAX_ITEMS_PER_FRAME` items each, and no more than the broker takes in one list, its
`Limits.max_list_items`; more are split over several frames of the kind, since the broker
refuses a frame whose list is longer as a whole).

The order is the same in every Sinew client. Extensions go first, so that a delivery
extended and settled in the same iteration has its extension applied rather than refused
as stale. Each frame carries a request id, so the broker answers `SettleOk` once the
settlements are durable; the items it lists as failed fail their own caller with a
`BrokerError` (for example `stale_delivery`), the others succeed. An `Error` answering the
whole frame fails every item in it. A delivery reported stale is no longer held by the
session, and the settler says so (`on_stale`), so that it is not named as handed out later.

`flush` sends what is waiting at once, for a frame that must follow the settlements already
issued (an `Unsubscribe` or `Goodbye` must not overtake them).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from typing import Final, Generic, TypeVar

from sinew.connection.unobserved_failure import FailureReportingFuture
from sinew.errors import SinewError, broker_error
from sinew.wire.errors import ErrorCode
from sinew.wire.limits import DEFAULT_MAX_LIST_ITEMS
from sinew.wire.messages import (
    Ack,
    ExtendLease,
    LeaseExtension,
    Message,
    Nack,
    NackItem,
    SettleOk,
)

__all__ = ["MAX_ITEMS_PER_FRAME", "SettleRequest", "Settler"]

SettleRequest = Callable[[Message, str], "asyncio.Future[Message]"]
"""Sends a settlement frame with a request id and returns the future of its `SettleOk`
(`Connection.start_request` with the frame and its context); raises when it cannot be sent."""

MAX_ITEMS_PER_FRAME: Final = 1024
"""Items per settlement frame, keeping a frame far below the smallest frame size limit."""

_Item = TypeVar("_Item")


class _Batch(Generic[_Item]):
    """Items of one kind waiting for the end of the loop iteration."""

    def __init__(self) -> None:
        self.items: list[tuple[int, _Item, asyncio.Future[None]]] = []

    def take(self) -> list[tuple[int, _Item, asyncio.Future[None]]]:
        items, self.items = self.items, []
        return items


class Settler:
    def __init__(
        self,
        request: SettleRequest,
        max_list_items: int | None = None,
        *,
        on_stale: Callable[[int], None] | None = None,
    ) -> None:
        """`max_list_items` is the broker's `Limits.max_list_items`; an older broker leaves it
        out of `HelloOk` (None), and then the protocol's default applies. `on_stale` is told
        the id of each delivery the broker reports as `stale_delivery`."""
        self._request = request
        self._on_stale = on_stale
        limit = DEFAULT_MAX_LIST_ITEMS if max_list_items is None else max_list_items
        self._per_frame = max(1, min(MAX_ITEMS_PER_FRAME, limit))
        self._loop = asyncio.get_running_loop()
        self._acks: _Batch[int] = _Batch()
        self._nacks: _Batch[NackItem] = _Batch()
        self._extensions: _Batch[LeaseExtension] = _Batch()
        self._flush_scheduled = False

    def ack(self, delivery_id: int) -> asyncio.Future[None]:
        return self._add(self._acks, "ack", delivery_id, delivery_id)

    def nack(self, item: NackItem) -> asyncio.Future[None]:
        action = "fail" if not item.requeue else "retry"
        return self._add(self._nacks, action, item.delivery_id, item)

    def extend_lease(self, item: LeaseExtension) -> asyncio.Future[None]:
        return self._add(self._extensions, "extend_lease", item.delivery_id, item)

    def _add(
        self, batch: _Batch[_Item], action: str, delivery_id: int, item: _Item
    ) -> asyncio.Future[None]:
        # The settlement was requested at the call whether or not anyone awaits its answer; a
        # failure nobody awaits is logged once as a warning rather than dropped.
        future: asyncio.Future[None] = FailureReportingFuture(
            loop=self._loop, what=f"{action} of delivery {delivery_id}"
        )
        batch.items.append((delivery_id, item, future))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)
        return future

    def flush(self) -> None:
        """Send every settlement issued so far now, rather than at the end of the loop
        iteration."""
        self._flush()

    def _flush(self) -> None:
        self._flush_scheduled = False
        self._send(
            self._extensions.take(), lambda items: ExtendLease(items=tuple(items)), "extend_lease"
        )
        self._send(self._nacks.take(), lambda items: Nack(items=tuple(items)), "nack")
        self._send(self._acks.take(), lambda ids: Ack(delivery_ids=tuple(ids)), "ack")

    def _send(
        self,
        items: list[tuple[int, _Item, asyncio.Future[None]]],
        build: Callable[[list[_Item]], Message],
        action: str,
    ) -> None:
        # Callers that stopped waiting still have their item sent: the action was requested.
        for start in range(0, len(items), self._per_frame):
            chunk = items[start : start + self._per_frame]
            try:
                reply = self._request(
                    build([item for _, item, _ in chunk]),
                    f"{action} of {len(chunk)} deliver{'y' if len(chunk) == 1 else 'ies'}",
                )
            except SinewError as error:
                _fail_all(chunk, error)
                continue
            reply.add_done_callback(
                functools.partial(_complete, chunk=chunk, action=action, on_stale=self._on_stale)
            )


def _complete(
    reply: asyncio.Future[Message],
    chunk: Sequence[tuple[int, object, asyncio.Future[None]]],
    action: str,
    on_stale: Callable[[int], None] | None,
) -> None:
    if reply.cancelled():
        return
    error = reply.exception()
    if error is not None:
        _fail_all(chunk, error)
        return
    result = reply.result()
    assert isinstance(result, SettleOk)
    failures = {failure.delivery_id: failure.code for failure in result.failures}
    if on_stale is not None:
        for stale_id, failure_code in failures.items():
            if failure_code == ErrorCode.STALE_DELIVERY:
                on_stale(stale_id)
    for delivery_id, _, future in chunk:
        if future.done():
            continue
        code = failures.get(delivery_id)
        if code is None:
            future.set_result(None)
        else:
            future.set_exception(
                broker_error(
                    code,
                    details={"delivery_id": str(delivery_id)},
                    context=f"{action} of delivery {delivery_id}",
                )
            )


def _fail_all(
    chunk: Sequence[tuple[int, object, asyncio.Future[None]]], error: BaseException
) -> None:
    for _, _, future in chunk:
        if not future.done():
            future.set_exception(_copy(error))


def _copy(error: BaseException) -> BaseException:
    """A fresh copy of `error` per waiting caller: one exception object raised from several
    tasks would collect all their tracebacks."""
    if not isinstance(error, SinewError):
        return error
    clone = type(error).__new__(type(error))
    clone.args = error.args
    clone.__dict__.update(error.__dict__)
    clone.__cause__ = error.__cause__
    return clone
