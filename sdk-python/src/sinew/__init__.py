"""Sinew: the Python client for the Sinew durable message broker.

The asyncio client's handles, value types and errors live here, with the option records of
`sinew.options`; `sinew.blocking` offers the same API for threads that do not run an event
loop. Underneath are the layers it is built from: `sinew.wire` (the frame codec),
`sinew.connection` (the connection engine), `sinew.routing` (partition routing) and the
internal client core that the handles share::

    from sinew import OutgoingMessage, SinewClient, SinewClientOptions

    async with SinewClient.connect(SinewClientOptions(endpoints="127.0.0.1:7420")) as client:
        await client.declare_queue("orders")
        await client.create_publisher("orders").publish(OutgoingMessage.from_text("hello"))
"""

from __future__ import annotations

import logging

from sinew.awaitable_context import AwaitableContext
from sinew.client import SinewClient
from sinew.delivery import Delivery
from sinew.durations import Duration
from sinew.errors import (
    BrokerError,
    ClientClosedError,
    ConnectionFailure,
    ConnectionLostError,
    InvalidArgumentError,
    OperationTimeoutError,
    ProtocolError,
    SinewConnectionError,
    SinewError,
    SubscriptionEndedError,
    SubscriptionEndReason,
)
from sinew.options import (
    AckMode,
    DeadLetterKind,
    DeadLetterPolicy,
    PublisherOptions,
    QueueOptions,
    ReconnectPolicy,
    ReliablePublisherOptions,
    SinewClientOptions,
    SinewCredentials,
    SubscribeOptions,
)
from sinew.catalogue import Catalogue, CatalogueChange, CatalogueEntry
from sinew.outgoing_message import OutgoingMessage
from sinew.publish_confirmation import PublishConfirmation
from sinew.publish_receipt import PublishReceipt
from sinew.publisher import Publisher
from sinew.queue_info import QueueInfo
from sinew.reliable_publisher import ReliablePublisher
from sinew.server_info import BrokerLimits, ServerInfo
from sinew.subscription import Subscription
from sinew.topology import ChannelKind, Topology, TopologyBroker, TopologyChannel
from sinew.version import __version__

# The package never prints by itself: until the application configures logging, records of
# the `sinew` loggers go nowhere instead of to logging's last-resort handler on stderr.
logging.getLogger("sinew").addHandler(logging.NullHandler())

__all__ = [
    "AckMode",
    "AwaitableContext",
    "BrokerError",
    "BrokerLimits",
    "Catalogue",
    "CatalogueChange",
    "CatalogueEntry",
    "ChannelKind",
    "ClientClosedError",
    "ConnectionFailure",
    "ConnectionLostError",
    "DeadLetterKind",
    "DeadLetterPolicy",
    "Delivery",
    "Duration",
    "InvalidArgumentError",
    "OperationTimeoutError",
    "OutgoingMessage",
    "ProtocolError",
    "PublishConfirmation",
    "PublishReceipt",
    "Publisher",
    "PublisherOptions",
    "QueueInfo",
    "QueueOptions",
    "ReconnectPolicy",
    "ReliablePublisher",
    "ReliablePublisherOptions",
    "ServerInfo",
    "SinewClient",
    "SinewClientOptions",
    "SinewConnectionError",
    "SinewCredentials",
    "SinewError",
    "SubscribeOptions",
    "Subscription",
    "SubscriptionEndReason",
    "SubscriptionEndedError",
    "Topology",
    "TopologyBroker",
    "TopologyChannel",
    "__version__",
]
