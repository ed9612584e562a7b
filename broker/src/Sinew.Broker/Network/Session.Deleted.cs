// The subscriptions of a deleted queue: the broker ends them and says why.
using Sinew.Broker.Queues;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Network;

internal sealed partial class Session
{
    public void EndSubscriptionOfDeletedQueue(ServerSubscription subscription)
    {
        lock (_subscriptions)
        {
            if (!_subscriptions.Remove(subscription.Id))
            {
                // The client unsubscribed, or the connection ended, meanwhile.
                return;
            }
        }

        subscription.Close();
        foreach (var partition in subscription.Partitions)
        {
            // Waits until every delivery the partition made to it has been handed over, so the notice comes after them.
            partition.Detach(subscription);
        }

        // Nothing goes back to the queue: it is gone. Settling these later answers stale_delivery.
        foreach (var (deliveryId, delivery) in _deliveries)
        {
            if (delivery.Subscription == subscription)
            {
                _deliveries.TryRemove(deliveryId, out _);
            }
        }

        Send(new SubscriptionClosed(subscription.Id, CloseReason.Deleted, $"queue {subscription.Queue.Name} was deleted"));
    }
}
