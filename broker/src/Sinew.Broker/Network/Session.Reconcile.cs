// Reconciliation after a resume (specification section 8.10): the client lists the subscriptions it holds, and the
// broker keeps those it still has as listed, restores the others when asked to, and closes the rest. Subscriptions the
// client did not list are dropped and their unsettled deliveries returned.
using Sinew.Broker.Queues;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Network;

internal sealed partial class Session
{
    private void HandleReconcile(uint requestId, Reconcile reconcile)
    {
        var results = new List<ReconcileResult>(reconcile.Subscriptions.Count);
        var kept = new HashSet<ulong>();
        var restored = new List<ServerSubscription>();
        var unvouched = new List<ServerSubscription>();
        foreach (var entry in reconcile.Subscriptions)
        {
            if (kept.Contains(entry.SubscriptionId))
            {
                // Listed twice: the first listing kept it, so it cannot be restored as a second one.
                results.Add(new ReconcileResult(entry.SubscriptionId, ReconcileOutcome.Closed));
                continue;
            }

            ServerSubscription? held;
            lock (_subscriptions)
            {
                _subscriptions.TryGetValue(entry.SubscriptionId, out held);
                if (held is not null && !Matches(held, entry))
                {
                    // The broker has a subscription under that id, but not the one the client describes.
                    _subscriptions.Remove(entry.SubscriptionId);
                    unvouched.Add(held);
                    held = null;
                }
            }

            if (held is not null)
            {
                kept.Add(entry.SubscriptionId);
                results.Add(new ReconcileResult(entry.SubscriptionId, ReconcileOutcome.Kept));
            }
            else if (reconcile.Policy == ReconcilePolicy.Restore && TryRestore(entry) is { } subscription)
            {
                restored.Add(subscription);
                kept.Add(subscription.Id);
                results.Add(new ReconcileResult(entry.SubscriptionId, ReconcileOutcome.Restored, subscription.Id));
            }
            else
            {
                results.Add(new ReconcileResult(entry.SubscriptionId, ReconcileOutcome.Closed));
            }
        }

        lock (_subscriptions)
        {
            foreach (var (id, subscription) in _subscriptions)
            {
                if (!kept.Contains(id))
                {
                    unvouched.Add(subscription);
                }
            }

            foreach (var subscription in unvouched)
            {
                if (_subscriptions.GetValueOrDefault(subscription.Id) == subscription)
                {
                    _subscriptions.Remove(subscription.Id);
                }
            }
        }

        // What the broken connection carried may have reached the application; what was delivered since went to a
        // client that no longer has the subscription, so it never saw it.
        var handedOut = HandedOut.UpTo(_resumedAtDeliveryId);
        foreach (var subscription in unvouched)
        {
            _state.Drop(subscription, handedOut);
        }

        // ReconcileOk goes out before the first Deliver of a restored subscription, which the client routes by its new id.
        Send(new ReconcileOk(results), requestId);
        foreach (var subscription in restored)
        {
            Attach(subscription);
        }
    }

    private static bool Matches(ServerSubscription subscription, ReconcileEntry entry) =>
        entry.Kind == ChannelKind.Queue
        && entry.Cursor is null
        && TryParse(entry) is { } name && name == subscription.Queue.Name
        && entry.Partition == subscription.NamedPartition
        && entry.AckMode.ToEngine() == subscription.AckPolicy
        && entry.Prefetch == (uint)subscription.Prefetch;

    private static QueueName? TryParse(ReconcileEntry entry)
    {
        try
        {
            return QueueName.Parse(entry.Topic, entry.Group, brokerOwned: true);
        }
        catch (BrokerErrorException)
        {
            return null;
        }
    }

    /// <summary>Subscribes again as the entry describes; null when that is not possible now (no such queue, a
    /// quarantined partition, a stream, a limit), which closes it.</summary>
    private ServerSubscription? TryRestore(ReconcileEntry entry)
    {
        if (entry.Kind != ChannelKind.Queue || entry.Cursor is not null)
        {
            return null;
        }

        try
        {
            return OpenSubscription(entry.Topic, entry.Group, entry.Partition, entry.AckMode, entry.Prefetch);
        }
        catch (BrokerErrorException)
        {
            return null;
        }
    }
}
