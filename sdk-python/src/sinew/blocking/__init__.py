"""The blocking API: the same client for threads without an event loop.

Each blocking handle drives its asyncio twin on a background event-loop thread owned by the
client, so both APIs share one implementation and one behaviour; only waiting differs. The
value types (options, messages, receipts, errors) are the asyncio package's own and are
re-exported here for convenience::

    from sinew.blocking import OutgoingMessage, SinewClient, SinewClientOptions

    with SinewClient.connect(SinewClientOptions(endpoints="127.0.0.1:7420")) as client:
        client.declare_queue("orders")
        client.create_publisher("orders").publish(OutgoingMessage.from_text("hello"))
"""

from __future__ import annotations

from sinew.blocking.client import SinewClient
from sinew.blocking.delivery import Delivery
from sinew.blocking.event_loop_thread import EventLoopThread
from sinew.blocking.publisher import PublishConfirmation, Publisher
from sinew.blocking.reliable_publisher import ReliablePublisher
from sinew.blocking.subscription import Subscription
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
from sinew.publish_receipt import PublishReceipt
from sinew.queue_info import QueueInfo
from sinew.server_info import BrokerLimits, ServerInfo
from sinew.topology import ChannelKind, Topology, TopologyBroker, TopologyChannel

__all__ = [
    "AckMode",
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
    "EventLoopThread",
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
]
