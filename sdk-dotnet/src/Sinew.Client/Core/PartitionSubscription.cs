// One broker subscription of a fan-in: the partitions it covers, the connection its deliveries settle on, and the
// sink through which that connection routes its frames.
using Sinew.Client.Connection;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Core;

/// <summary>One broker subscription that feeds a <see cref="FanInSubscription"/>. A subscription to every partition
/// has one of these per partition; each received message keeps a reference to the one it came through, so it settles
/// on that connection whatever happens to the others. Registered with its connection as the subscription's sink.</summary>
internal sealed class PartitionSubscription : IDeliverySink
{
    public PartitionSubscription(FanInSubscription owner, SinewConnection connection)
    {
        Owner = owner;
        Connection = connection;
    }

    public FanInSubscription Owner { get; }

    public SinewConnection Connection { get; }

    /// <summary>The broker's id, known once SubscribeOk has arrived.</summary>
    public ulong? SubscriptionId { get; set; }

    /// <summary>The partitions the broker says it covers.</summary>
    public IReadOnlyList<uint> Partitions { get; set; } = [];

    /// <summary>The manual-ack deliveries of this subscription handed to the application and not yet settled; an
    /// auto-ack subscription never holds any.</summary>
    public HandedOutDeliveries HandedOut { get; } = new();

    public void OnDeliver(Wire.Deliver deliver)
    {
        foreach (var message in deliver.Messages)
        {
            Owner.Enqueue(new ReceivedMessage(this, message));
        }
    }

    public void OnClosedByBroker(Wire.SubscriptionClosed closed) =>
        Owner.EndFromSource(this, SubscriptionEndReasons.FromWire(closed.Reason), closed.Message, null);

    public void OnConnectionEnded(Exception reason) => Owner.EndFromSource(this,
        reason is ClientClosedException ? SubscriptionEndReason.ClientClosed : SubscriptionEndReason.ConnectionLost,
        reason.Message, reason);

    /// <summary>Stops routing and asks the broker to end the subscription, returning its unsettled deliveries to
    /// the queue (a failure counted only for those handed out). Failures are ignored: a connection that is gone has
    /// ended the subscription already.</summary>
    public async Task UnsubscribeAsync(CancellationToken cancellationToken)
    {
        if (SubscriptionId is not { } id)
        {
            return;
        }

        Connection.RemoveSink(id);
        if (!Connection.IsOpen)
        {
            return;
        }

        try
        {
            await Connection.UnsubscribeAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SinewException or OperationCanceledException or TimeoutException)
        {
            // Best effort: the broker ends the subscription with the session anyway.
        }
    }
}
