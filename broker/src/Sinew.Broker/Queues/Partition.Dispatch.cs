// Dispatch: consumers attach to a partition, and its ready messages go to those with credit, round-robin.
// Deliveries are made under the partition's lock and handed to the sessions after it, in order.
using Sinew.Broker.Diagnostics;
using Sinew.Broker.Storage;
using Sinew.Protocol.Timing;

namespace Sinew.Broker.Queues;

internal sealed partial class Partition
{
    // Held from the end of a dispatch's critical section until its deliveries are handed to their sessions.
    private readonly object _sendGate = new();
    private int _nextConsumer;

    public void Attach(ServerSubscription subscription)
    {
        lock (_lock)
        {
            ThrowIfQuarantined();
            _consumers.Add(subscription);
        }

        Dispatch();
    }

    /// <summary>Stops delivering to <paramref name="subscription"/>. When this returns, every delivery this
    /// partition made to it has been handed to its session, so what the session sends next comes after them.</summary>
    public void Detach(ServerSubscription subscription)
    {
        lock (_lock)
        {
            _consumers.Remove(subscription);
        }

        // A dispatch that chose the subscription before it was removed holds the gate until it has sent.
        lock (_sendGate)
        {
        }
    }

    /// <summary>Delivers ready messages to consumers with credit, round-robin, one message per consumer
    /// per turn. The deliveries are made under the lock and sent after it is released, under the send gate,
    /// which is taken before the lock is let go: so a consumer sees its partition's deliveries in the order
    /// they were made, and appends and settlements need not wait for frames to be encoded.</summary>
    public void Dispatch()
    {
        List<Action>? deferred = null;
        Dictionary<ServerSubscription, List<Delivery>>? batches = null;
        var sending = false;
        var logDeliveries = false;
        try
        {
            lock (_lock)
            {
                if (_quarantine is not null || _durability.Failure is not null || _consumers.Count == 0 || _ready.Count == 0)
                {
                    return;
                }

                batches = DeliverLocked(ref deferred, ref logDeliveries);
                if (batches is not null)
                {
                    Monitor.Enter(_sendGate, ref sending);
                }
            }

            if (logDeliveries)
            {
                RequestFlush();
            }

            if (batches is not null)
            {
                Send(batches);
            }
        }
        finally
        {
            if (sending)
            {
                Monitor.Exit(_sendGate);
            }
        }

        RunAll(deferred);
    }

    private Dictionary<ServerSubscription, List<Delivery>>? DeliverLocked(ref List<Action>? deferred, ref bool logDeliveries)
    {
        var now = NowMs;
        Dictionary<ServerSubscription, List<Delivery>>? batches = null;
        var consumersWithoutCredit = 0;
        while (_ready.Count > 0 && consumersWithoutCredit < _consumers.Count)
        {
            var subscription = _consumers[_nextConsumer++ % _consumers.Count];
            if (!subscription.Target.HasDeliveryRoom || !subscription.TryTakeCredit())
            {
                consumersWithoutCredit++;
                continue;
            }

            if (!_ready.TryTake(out var entry))
            {
                subscription.ReturnUnusedCredit();
                break;
            }

            consumersWithoutCredit = 0;
            if (entry.IsExpired(now))
            {
                subscription.ReturnUnusedCredit();
                DeadLetterLocked(entry, DeadLetterReason.Expired, null, ref deferred);
                continue;
            }

            MessageBody body;
            try
            {
                body = BodyLocked(entry);
            }
            catch (InvalidDataException e)
            {
                subscription.ReturnUnusedCredit();
                QuarantineLocked($"message {entry.Offset} cannot be read back: {e.Message}");
                break;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The disk could not be read this time (the bytes are not known to be damaged): the message
                // stays ready, with its credit given back, for the next dispatch.
                subscription.ReturnUnusedCredit();
                _ready.AddReturned(entry);
                _services.Logger.BodyReadFailed(e, entry.Offset, Index, Queue.Name);
                break;
            }

            var deliveryId = subscription.Target.NextDeliveryId();
            entry.State = MessageState.Inflight;
            entry.DeliveryCount++;
            entry.DeliveryId = deliveryId;
            entry.Holder = subscription;
            _inflight++;
            if (subscription.AckPolicy == AckPolicy.Manual)
            {
                LeaseLocked(entry, deliveryId, DurationRules.Deadline(now, Queue.Settings.LeaseMs));
                logDeliveries |= NoteDeliveryLocked(entry);
            }

            subscription.Target.TrackDelivery(deliveryId, this, entry.Offset, subscription);
            batches ??= [];
            if (!batches.TryGetValue(subscription, out var batch))
            {
                batches[subscription] = batch = [];
            }

            var delivery = new Delivery(deliveryId, Index, entry.Offset, entry.DeliveryCount, entry.Failures, Queue.Settings.MaxRetries,
                entry.PublishedAtMs, body);
            subscription.Target.CountPendingDelivery(delivery);
            batch.Add(delivery);
        }

        RefillIfLowLocked();
        return batches;
    }

    private void Send(Dictionary<ServerSubscription, List<Delivery>> batches)
    {
        foreach (var (subscription, batch) in batches)
        {
            Queue.Metrics.Delivered.Inc(batch.Count);
            Action? onWritten = null;
            if (subscription.AckPolicy == AckPolicy.Auto)
            {
                var settled = batch.Select(d => (d.Offset, d.DeliveryId)).ToArray();
                onWritten = () => AutoAcknowledge(settled);
            }

            subscription.Target.SendDeliver(subscription.Id, batch, onWritten);
        }
    }
}
