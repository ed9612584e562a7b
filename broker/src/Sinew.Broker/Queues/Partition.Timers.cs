// Deadlines: delayed messages become ready at their not-before time, expired leases return their message,
// and messages past their TTL are dead-lettered. One wake-up per partition is scheduled at the earliest.
//
// The deadline heaps are lazy: a lease whose delivery was settled, or the expiry of a message that was acked,
// stays in its heap until it would have come due. So that this costs neither memory nor wake-ups, such stale items
// are counted, the heaps are rebuilt without them once they outnumber the live ones, and the wake-up is set by the
// earliest live deadline, not by a stale one at the head.
namespace Sinew.Broker.Queues;

internal sealed partial class Partition
{
    // Stale items a heap may hold before it is rebuilt, whatever the number of live ones.
    private const int StaleAllowance = 1024;

    private readonly PriorityQueue<(MessageEntry Entry, int Ticket), long> _delayed = new();
    private PriorityQueue<(MessageEntry Entry, long DeliveryId), long> _leases = new();
    private PriorityQueue<MessageEntry, long> _expiries = new();
    private int _delayedCount;
    private int _staleLeases;
    private int _staleExpiries;
    private long _timerDueMs = long.MaxValue;

    /// <summary>Items in the deadline heaps, stale ones included (for tests of the heaps' bounds).</summary>
    internal int PendingDeadlines
    {
        get
        {
            lock (_lock)
            {
                return _delayed.Count + _leases.Count + _expiries.Count;
            }
        }
    }

    private static bool IsLiveLease((MessageEntry Entry, long DeliveryId) lease, long deadline) =>
        lease.Entry.State == MessageState.Inflight && lease.Entry.DeliveryId == lease.DeliveryId && lease.Entry.LeaseDeadlineMs == deadline;

    private bool IsLiveExpiry(MessageEntry entry) => _messages.TryGetValue(entry.Offset, out var current) && ReferenceEquals(current, entry);

    private static bool IsLiveDelay((MessageEntry Entry, int Ticket) item) =>
        item.Entry.State == MessageState.Delayed && item.Entry.Ticket == item.Ticket;

    /// <summary>Starts the lease of a delivery, or restarts it; the lease it had, if any, goes stale.</summary>
    private void LeaseLocked(MessageEntry entry, long deliveryId, long deadlineMs)
    {
        EndLeaseLocked(entry);
        entry.LeaseDeadlineMs = deadlineMs;
        _leases.Enqueue((entry, deliveryId), deadlineMs);
        ScheduleTimerLocked(deadlineMs);
    }

    /// <summary>Marks the lease of a delivery that is settled, returned or extended as stale.</summary>
    private void EndLeaseLocked(MessageEntry entry)
    {
        if (entry.LeaseDeadlineMs == 0)
        {
            return;
        }

        entry.LeaseDeadlineMs = 0;
        if (++_staleLeases > StaleAllowance && _staleLeases > _leases.Count - _staleLeases)
        {
            _leases = Rebuilt(_leases, static (item, deadline, _) => IsLiveLease(item, deadline), this);
            _staleLeases = 0;
        }
    }

    /// <summary>Counts the expiry of a message leaving the partition as stale.</summary>
    private void EndExpiryLocked(MessageEntry entry)
    {
        if (entry.ExpiresAtMs != 0 && ++_staleExpiries > StaleAllowance && _staleExpiries > _expiries.Count - _staleExpiries)
        {
            _expiries = Rebuilt(_expiries, static (item, _, partition) => partition.IsLiveExpiry(item), this);
            _staleExpiries = 0;
        }
    }

    private static PriorityQueue<T, long> Rebuilt<T>(PriorityQueue<T, long> heap, Func<T, long, Partition, bool> isLive, Partition partition)
    {
        var rebuilt = new PriorityQueue<T, long>();
        rebuilt.EnqueueRange(heap.UnorderedItems.Where(item => isLive(item.Element, item.Priority, partition)));
        return rebuilt;
    }

    /// <summary>With nothing indexed, every deadline left in the heaps is stale: they are emptied, and their arrays
    /// given back when large.</summary>
    private void TrimTimersIfIdleLocked(int keep)
    {
        _delayed.Clear();
        _leases.Clear();
        _expiries.Clear();
        _staleLeases = _staleExpiries = 0;
        if (_delayed.EnsureCapacity(0) > keep)
        {
            _delayed.TrimExcess();
        }

        if (_leases.EnsureCapacity(0) > keep)
        {
            _leases.TrimExcess();
        }

        if (_expiries.EnsureCapacity(0) > keep)
        {
            _expiries.TrimExcess();
        }
    }

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
                if (!IsLiveLease(lease, deadline))
                {
                    _staleLeases = Math.Max(0, _staleLeases - 1);
                    continue;
                }

                var holder = entry.Holder!;
                holder.Target.ForgetDelivery(lease.DeliveryId);
                entry.LeaseDeadlineMs = 0; // this lease is out of its heap already: not a stale one left in it
                TryTakeInflightLocked(entry.Offset, lease.DeliveryId, out _, out _);
                FailLocked(entry, 0, ref deferred);
                released ??= [];
                released[holder] = released.GetValueOrDefault(holder) + 1;
                changed = true;
                Queue.Metrics.LeaseExpired.Inc();
            }

            while (_expiries.TryPeek(out var entry, out var expiresAt) && expiresAt <= now)
            {
                _expiries.Dequeue();
                if (!IsLiveExpiry(entry))
                {
                    _staleExpiries = Math.Max(0, _staleExpiries - 1);
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
            // Expiries free room in the window: with no consumer to drain it, the backlog past the index still
            // reaches the head, and expires there.
            RefillIfLowLocked();
            DropStaleHeadsLocked();
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

    /// <summary>Pops stale items off the heads of the heaps, so the next wake-up is the earliest live deadline: under
    /// a steady load of acked deliveries, the head of the lease heap is otherwise a settled one about every time.</summary>
    private void DropStaleHeadsLocked()
    {
        while (_delayed.TryPeek(out var item, out _) && !IsLiveDelay(item))
        {
            _delayed.Dequeue();
        }

        while (_leases.TryPeek(out var lease, out var deadline) && !IsLiveLease(lease, deadline))
        {
            _leases.Dequeue();
            _staleLeases = Math.Max(0, _staleLeases - 1);
        }

        while (_expiries.TryPeek(out var entry, out _) && !IsLiveExpiry(entry))
        {
            _expiries.Dequeue();
            _staleExpiries = Math.Max(0, _staleExpiries - 1);
        }
    }
}
