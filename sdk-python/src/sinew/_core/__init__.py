"""The client core: the machinery between the connection engine and the public handles.

`ClientCore` is the state a client shares with its handles (the connection manager, the
routing cache, the open subscriptions, error reporting); `ConnectionManager` connects and
reconnects; `PublishPipeline` routes and sends publishes; `SubscriptionFeed` receives a
subscription's deliveries as the sink of its broker subscriptions; `converters` turns the
public value types into wire records and back. Nothing here imports a public handle module:
the handles in `sinew` are built on this package, never the reverse.

Not part of the public API: names here may change in any release.
"""

from __future__ import annotations

__all__: list[str] = []
