"""The option records: what `SinewClient.connect`, `declare_queue`, `create_publisher`,
`create_reliable_publisher` and `subscribe` take. Each is an immutable dataclass whose every
field has a documented default and is checked on construction. All are re-exported by `sinew`.
"""

from __future__ import annotations

from sinew.options.client_options import SinewClientOptions
from sinew.options.credentials import SinewCredentials
from sinew.options.dead_letter_policy import DeadLetterKind, DeadLetterPolicy
from sinew.options.publisher_options import PublisherOptions, ReliablePublisherOptions
from sinew.options.queue_options import QueueOptions
from sinew.options.reconnect_policy import ReconnectPolicy
from sinew.options.subscribe_options import AckMode, SubscribeOptions

__all__ = [
    "AckMode",
    "DeadLetterKind",
    "DeadLetterPolicy",
    "PublisherOptions",
    "QueueOptions",
    "ReconnectPolicy",
    "ReliablePublisherOptions",
    "SinewClientOptions",
    "SinewCredentials",
    "SubscribeOptions",
]
