// Settlement: acks remove a delivered message, nacks retry, delay or dead-letter it, lease extensions keep
// it, and a departing consumer returns it, with or without counting a failure (Partition.Counts.cs). Every change
// is logged before it is confirmed.
using Sinew.Broker.Storage;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Timing;

namespace Sinew.Broker.Queues;

internal sealed partial class Partition
{
    /// <summary>Settles deliveries as done. The delivery ids of items this session no longer holds are added
    /// to <paramref name="stale"/>.</summary>
    /// <returns>The log position that must be durable before the settlement is confirmed.</returns>
    public long Ack(IReadOnlyList<(long Offset, long DeliveryId)> items, List<long> stale)
    {
        var released = new Dictionary<ServerSubscription, int>();
        long lsnEnd;
        List<long> settled;
        lock (_lock)
        {
            ThrowIfNotWritable();
            settled = new List<long>(items.Count);
            foreach (var (offset, deliveryId) in items)
            {
                if (!TryTakeInflightLocked(offset, deliveryId, out var entry, out var holder))
                {
                    stale.Add(deliveryId);
                    continue;
                }

                settled.Add(offset);
                RemoveLocked(entry);
                released[holder] = released.GetValueOrDefault(holder) + 1;
            }

            if (settled.Count > 0)
            {
                _log.Append(Records.AckSize(settled.Count),
                    static (span, offsets) => Records.WriteAck(span, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(offsets)), settled);
            }

            lsnEnd = _log.AppendedEnd;
        }

        // Only what this partition settled: the failures list is shared with the caller's other partitions.
        Queue.Metrics.Acked.Inc(settled.Count);
        RequestFlush();
        foreach (var (subscription, count) in released)
        {
            subscription.Release(count);
        }

        return lsnEnd;
    }

    /// <summary>Settles one delivery as done: the common case of a consumer acking each message.</summary>
    /// <returns>The log position to wait for, or -1 when the delivery is not held by the caller.</returns>
    public long AckOne(long offset, long deliveryId)
    {
        ServerSubscription holder;
        long lsnEnd;
        lock (_lock)
        {
            ThrowIfNotWritable();
            if (!TryTakeInflightLocked(offset, deliveryId, out var entry, out holder))
            {
                return -1;
            }

            RemoveLocked(entry);
            _log.Append(Records.AckSize(1), static (span, o) => Records.WriteAck(span, [o]), offset);
            lsnEnd = _log.AppendedEnd;
        }

        Queue.Metrics.Acked.Inc();
        RequestFlush();
        holder.Release(1);
        return lsnEnd;
    }

    /// <summary>Fails, retries or delays one delivery.</summary>
    /// <returns>The error code when the delivery is not held by the caller, otherwise null.</returns>
    public ErrorCode? Nack(long offset, long deliveryId, bool requeue, long notBeforeMs, string? reason, out long lsnEnd)
    {
        List<Action>? deferred = null;
        ServerSubscription? holder;
        lock (_lock)
        {
            ThrowIfNotWritable();
            if (!TryTakeInflightLocked(offset, deliveryId, out var entry, out holder))
            {
                lsnEnd = _log.AppendedEnd;
                return ErrorCode.StaleDelivery;
            }

            if (!requeue)
            {
                DeadLetterLocked(entry, DeadLetterReason.TerminalNack, reason, ref deferred);
            }
            else
            {
                // A retry's reason is kept for the copy made if this or a later attempt exhausts the retries.
                entry.LastRetryReason = reason ?? entry.LastRetryReason;
                FailLocked(entry, notBeforeMs, ref deferred);
            }

            lsnEnd = _log.AppendedEnd;
        }

        Queue.Metrics.Nacked.Inc();
        RequestFlush();
        RunAll(deferred);
        holder.Release(1);
        Dispatch();
        return null;
    }

    /// <summary>Restarts the lease of a delivery the consumer is still working on.</summary>
    public ErrorCode? ExtendLease(long offset, long deliveryId, ulong? extendMs)
    {
        lock (_lock)
        {
            ThrowIfQuarantined();
            if (!_messages.TryGetValue(offset, out var entry) || entry.State != MessageState.Inflight || entry.DeliveryId != deliveryId)
            {
                return ErrorCode.StaleDelivery;
            }

            if (entry.Holder?.AckPolicy == AckPolicy.Manual)
            {
                LeaseLocked(entry, deliveryId, DurationRules.Deadline(NowMs, extendMs ?? Queue.Settings.LeaseMs));
            }

            return null;
        }
    }

    /// <summary>Puts a delivery back, ready for other consumers, because its subscription or session ended. When
    /// <paramref name="countsFailure"/> (the application may have held it) this is a failure like a retry, and the one
    /// that exhausts the message's retries dead-letters it; otherwise (a prefetched delivery the application never
    /// saw, or a return the broker caused) it only goes back.</summary>
    public void Return(long offset, long deliveryId, bool countsFailure)
    {
        List<Action>? deferred = null;
        ServerSubscription? holder;
        lock (_lock)
        {
            if (_quarantine is not null || !TryTakeInflightLocked(offset, deliveryId, out var entry, out holder))
            {
                return;
            }

            if (countsFailure)
            {
                FailLocked(entry, 0, ref deferred);
            }
            else
            {
                RequeueLocked(entry, 0, ref deferred);
            }
        }

        RequestFlush();
        RunAll(deferred);
        holder.Release(1);
        Dispatch();
    }

    private void AutoAcknowledge((long Offset, long DeliveryId)[] written)
    {
        try
        {
            Ack(written, []);
        }
        catch (BrokerErrorException)
        {
            // Quarantined meanwhile: the messages stay unsettled and recovery decides.
        }
    }

    private bool TryTakeInflightLocked(long offset, long deliveryId, out MessageEntry entry, out ServerSubscription holder)
    {
        if (_messages.TryGetValue(offset, out entry!) && entry.State == MessageState.Inflight && entry.DeliveryId == deliveryId
            && entry.Holder is { } h)
        {
            holder = h;
            entry.Holder = null;
            entry.DeliveryId = 0;
            EndLeaseLocked(entry);
            _inflight--;
            return true;
        }

        holder = null!;
        return false;
    }

    private void RequeueLocked(MessageEntry entry, long notBeforeMs, ref List<Action>? deferred)
    {
        var now = NowMs;
        if (entry.IsExpired(now))
        {
            DeadLetterLocked(entry, DeadLetterReason.Expired, null, ref deferred);
            return;
        }

        _log.Append(Records.ReturnedSize, static (span, s) => Records.WriteReturned(span, s.Offset, s.DeliveryCount, s.Failures, s.notBeforeMs),
            (entry.Offset, entry.DeliveryCount, entry.Failures, notBeforeMs));
        if (notBeforeMs > now)
        {
            DelayLocked(entry, notBeforeMs);
        }
        else
        {
            entry.NotBeforeMs = 0;
            _ready.AddReturned(entry);
        }
    }
}
