// One broker subscription of a fan-in: the partitions it covers and the connection its deliveries settle on.
using Sinew.Client.Connection;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Routing;

/// <summary>One broker subscription that feeds a <see cref="Subscription"/>. A subscription to every partition
/// has one of these per partition; each delivery keeps a reference to the one it came through, so it settles on
/// that connection whatever happens to the others.</summary>
internal sealed class PartitionSubscription : IDeliverySink
{
    public PartitionSubscription(Subscription owner, SinewConnection connection)
    {
        Owner = owner;
        Connection = connection;
    }

    public Subscription Owner { get; }

    public SinewConnection Connection { get; }

    /// <summary>The broker's id, known once SubscribeOk has arrived.</summary>
    public ulong? SubscriptionId { get; set; }

    /// <summary>The partitions the broker says it covers.</summary>
    public IReadOnlyList<uint> Partitions { get; set; } = [];

    public void OnDeliver(Wire.Deliver deliver)
    {
        foreach (var message in deliver.Messages)
        {
            Owner.Enqueue(new Delivery(this, message));
        }
    }

    public void OnClosedByBroker(Wire.SubscriptionClosed closed) =>
        Owner.EndFromSource(this, SubscriptionEndReasons.FromWire(closed.Reason), closed.Message, null);

    public void OnConnectionEnded(Exception reason) => Owner.EndFromSource(this,
        reason is ClientClosedException ? SubscriptionEndReason.ClientClosed : SubscriptionEndReason.ConnectionLost,
        reason.Message, reason);

    /// <summary>Stops routing and asks the broker to end the subscription, returning its unsettled deliveries to
    /// the queue. Failures are ignored: a connection that is gone has ended the subscription already.</summary>
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
            await Connection.RequestAsync(new Wire.Unsubscribe(id), "Unsubscribe", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SinewException or OperationCanceledException or TimeoutException)
        {
            // Best effort: the broker ends the subscription with the session anyway.
        }
    }
}
