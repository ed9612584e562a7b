"""`HandedOut`: the manual-ack deliveries of one subscription that the application was given
and has not settled, each with the broker subscription it came from.

When a subscription gives its deliveries back (`Unsubscribe`, or the client's `Goodbye`), the
broker counts a failure only for those the frame lists as handed out (spec 8.5): a message
still waiting in the subscription's buffer was never seen by the application, so returning it
must not spend its retry budget. A delivery joins the set as `receive` or the iterator hands it
over, and leaves it when a settlement is issued (the broker settles it before it reads a later
`Unsubscribe`) or when the broker reports it stale (its lease ran out; the broker returned it
already). Auto-ack deliveries are settled by the broker as it sends them and never join.

Each delivery costs one dictionary entry keyed by its session-unique delivery id, so adding and
removing are O(1); the lists are built only when a subscription ends.
"""

from __future__ import annotations

from collections.abc import Collection

from sinew.connection.connection import Connection
from sinew.wire.limits import DEFAULT_MAX_LIST_ITEMS

__all__ = ["HandedOut", "list_limit"]


def list_limit(connection: Connection) -> int:
    """The most ids one `handed_out` list may carry: the broker's `Limits.max_list_items`, or
    the protocol's default when an older broker did not announce it."""
    announced = connection.limits.max_list_items
    return DEFAULT_MAX_LIST_ITEMS if announced is None else announced


class HandedOut(dict[int, int]):
    """Delivery id -> the broker subscription that delivered it (a subscription without a
    partition fans in one broker subscription per partition, each unsubscribed alone).

    A plain dictionary underneath, so that handing a delivery out (`handed_out[id] = sub`)
    and settling it (`handed_out.pop(id, None)`) run no Python code of their own."""

    __slots__ = ()

    def take(self, subscription_ids: Collection[int], limit: int) -> dict[int, tuple[int, ...]]:
        """Remove and return the deliveries of each of `subscription_ids`, at most `limit` per
        broker subscription (the broker's `max_list_items`; those left out are returned as
        never handed out). Every id given has an entry, empty when it handed nothing out: an
        empty list tells the broker that no returned delivery was seen, which an absent one
        does not."""
        taken: dict[int, list[int]] = {subscription_id: [] for subscription_id in subscription_ids}
        kept: dict[int, int] = {}
        for delivery_id, subscription_id in self.items():
            listed = taken.get(subscription_id)
            if listed is None:
                kept[delivery_id] = subscription_id
            elif len(listed) < limit:
                listed.append(delivery_id)
        self.clear()
        self.update(kept)
        return {subscription_id: tuple(ids) for subscription_id, ids in taken.items()}
