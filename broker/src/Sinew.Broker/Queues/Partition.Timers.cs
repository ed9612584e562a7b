// Deadlines: delayed messages become ready at their not-before time, expired leases return their message,
// and messages past their TTL are dead-lettered. One wake-up per partition is scheduled at the earliest.
namespace Sinew.Broker.Queues;

internal sealed partial class Partition
{
    private readonly PriorityQueue<(MessageEntry Entry, int Ticket), long> _delayed = new();
    private readonly PriorityQueue<(MessageEntry Entry, long DeliveryId), long> _leases = new();
    private readonly PriorityQueue<MessageEntry, long> _expiries = new();
    private int _delayedCount;
    private long _timerDueMs = long.MaxValue;

    private void DelayLocked(MessageEntry entry, long notBeforeMs)
    {
        entry.NotBeforeMs = notBeforeMs;
        entry.State = MessageState.Delayed;
        entry.Ticket++;
        _delayed.Enqueue((entry, entry.Ticket), notBeforeMs);
        _delayedCount++;
        ScheduleTimerLocked(notBeforeMs);
    }

    private void ScheduleTimerLocked(long dueMs)
    {
        if (dueMs < _timerDueMs)
        {
            _timerDueMs = dueMs;
            _services.Timers.Schedule(this, dueMs);
        }
    }

    /// <summary>Called by the timer scheduler: promotes due delayed messages, expires leases and TTLs.</summary>
    public void OnTimer()
    {
        List<Action>? deferred = null;
        Dictionary<ServerSubscription, int>? released = null;
        var changed = false;
        var retryFlush = false;
        lock (_lock)
        {
            _timerDueMs = long.MaxValue;
            if (_quarantine is not null)
            {
                return;
            }

            var now = NowMs;
            if (_durability.Failure is not null)
            {
                // Frozen until the log can be written: leases and delays wait too, so nothing is retried
                // or dead-lettered because of a disk that failed.
                if (now >= _flushRetryAtMs)
                {
                    retryFlush = true;
                }
                else
                {
                    ScheduleTimerLocked(_flushRetryAtMs);
                }
            }
            else
            {
                changed = OnTimerLocked(now, ref deferred, ref released);
            }
        }

        if (retryFlush)
        {
            RequestFlush();
            return;
        }

        if (changed)
        {
            RequestFlush();
        }

        RunAll(deferred);
        if (released is not null)
        {
            foreach (var (subscription, count) in released)
            {
                subscription.Release(count);
            }
        }

        Dispatch();
    }

    /// <summary>Promotes due delayed messages, expires leases and TTLs, and asks to be woken at the next
    /// deadline; the wake-up is scheduled even if handling one entry throws, so one failure cannot leave
    /// every later deadline of the partition unserved.</summary>
    private bool OnTimerLocked(long now, ref List<Action>? deferred, ref Dictionary<ServerSubscription, int>? released)
    {
        var changed = false;
        try
        {
            while (_delayed.TryPeek(out var item, out var due) && due <= now)
            {
                _delayed.Dequeue();
                if (item.Entry.State != MessageState.Delayed || item.Entry.Ticket != item.Ticket)
                {
                    continue;
                }

                _delayedCount--;
                changed = true;
                if (item.Entry.IsExpired(now))
                {
                    DeadLetterLocked(item.Entry, DeadLetterReason.Expired, null, ref deferred);
                }
                else
                {
                    item.Entry.NotBeforeMs = 0;
                    _ready.AddReturned(item.Entry);
                }
            }

            while (_leases.TryPeek(out var lease, out var deadline) && deadline <= now)
            {
                _leases.Dequeue();
                var entry = lease.Entry;
                if (entry.State != MessageState.Inflight || entry.DeliveryId != lease.DeliveryId || entry.LeaseDeadlineMs > now)
                {
                    continue;
                }

                var holder = entry.Holder!;
                holder.Target.ForgetDelivery(lease.DeliveryId);
                TryTakeInflightLocked(entry.Offset, lease.DeliveryId, out _, out _);
                RetryOrExhaustLocked(entry, 0, ref deferred);
                released ??= [];
                released[holder] = released.GetValueOrDefault(holder) + 1;
                changed = true;
                Queue.Metrics.LeaseExpired.Inc();
            }

            while (_expiries.TryPeek(out var entry, out var expiresAt) && expiresAt <= now)
            {
                _expiries.Dequeue();
                if (!_messages.ContainsKey(entry.Offset))
                {
                    continue;
                }

                switch (entry.State)
                {
                    case MessageState.Ready:
                        _ready.Forget(entry);
                        DeadLetterLocked(entry, DeadLetterReason.Expired, null, ref deferred);
                        changed = true;
                        break;
                    case MessageState.Delayed:
                        entry.Ticket++;
                        _delayedCount--;
                        DeadLetterLocked(entry, DeadLetterReason.Expired, null, ref deferred);
                        changed = true;
                        break;
                }
            }
        }
        finally
        {
            var next = long.MaxValue;
            if (_delayed.TryPeek(out _, out var nextDelay))
            {
                next = Math.Min(next, nextDelay);
            }

            if (_leases.TryPeek(out _, out var nextLease))
            {
                next = Math.Min(next, nextLease);
            }

            if (_expiries.TryPeek(out _, out var nextExpiry))
            {
                next = Math.Min(next, nextExpiry);
            }

            if (next != long.MaxValue)
            {
                ScheduleTimerLocked(next);
            }
        }

        return changed;
    }
}
