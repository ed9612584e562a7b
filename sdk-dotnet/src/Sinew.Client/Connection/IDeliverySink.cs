// Where the read loop hands what it receives for one broker subscription.
using Sinew.Protocol.Messages;

namespace Sinew.Client.Connection;

/// <summary>The receiving end of one broker subscription. Called on the read loop: implementations only queue
/// work and never block or run user code.</summary>
internal interface IDeliverySink
{
    /// <summary>The subscription's deliveries the application holds, which its Unsubscribe, or the session's Goodbye,
    /// names.</summary>
    HandedOutDeliveries HandedOut { get; }

    /// <summary>Messages pushed to the subscription.</summary>
    void OnDeliver(Deliver deliver);

    /// <summary>The broker ended the subscription.</summary>
    void OnClosedByBroker(SubscriptionClosed closed);

    /// <summary>The connection carrying the subscription ended.</summary>
    void OnConnectionEnded(Exception reason);
}
