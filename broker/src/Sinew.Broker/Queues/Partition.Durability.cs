// Making appends count: the flusher writes and fsyncs the log (group commit), together with the record of the
// deliveries made since the last one (Partition.Counts.cs), then the partition makes what became durable
// deliverable and runs the callbacks waiting for that position (publish confirmations, settlement answers,
// snapshots).
using Sinew.Broker.Storage;

namespace Sinew.Broker.Queues;

internal sealed partial class Partition
{
    // One flush at a time per partition: the flusher thread and a closing partition may both flush.
    private readonly object _flushLock = new();
    private readonly DurabilitySignal _durability = new();
    // Appended messages in log order, each deliverable once the log is durable up to its end.
    private readonly Queue<(long LsnEnd, MessageEntry Entry)> _awaitingDurability = new();
    private int _flushRequested;

    /// <summary>Runs <paramref name="callback"/> with null once the log is durable up to
    /// <paramref name="lsnEnd"/> (at once if it already is), or with the error when the write fails first
    /// (at once if the log cannot be written now). The callback runs with no partition lock held.</summary>
    public void WhenDurable(long lsnEnd, Action<BrokerErrorException?> callback)
    {
        BrokerErrorException? failure;
        lock (_lock)
        {
            if (_durability.TryWait(lsnEnd, callback, out failure))
            {
                return;
            }
        }

        callback(failure);
    }

    /// <summary>Completes once the log is durable up to <paramref name="lsnEnd"/>; faults with a
    /// <see cref="BrokerErrorException"/> when the write fails.</summary>
    public Task WhenDurableAsync(long lsnEnd)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        WhenDurable(lsnEnd, failure =>
        {
            if (failure is null)
            {
                done.SetResult();
            }
            else
            {
                done.SetException(failure);
            }
        });
        return done.Task;
    }

    /// <summary>The log position up to which everything is durable.</summary>
    public long DurableEnd => _durability.DurableEnd;

    private void RequestFlush()
    {
        if (Interlocked.Exchange(ref _flushRequested, 1) == 0)
        {
            _services.Flusher.Enqueue(this);
        }
    }

    /// <summary>Called by the flusher: writes and fsyncs what was appended, then makes it count.</summary>
    public void FlushNow()
    {
        lock (_flushLock)
        {
            FlushLocked();
        }
    }

    private void FlushLocked()
    {
        Volatile.Write(ref _flushRequested, 0);
        long end;
        try
        {
            lock (_lock)
            {
                AppendDeliveriesLocked();
            }

            end = _log.Flush();
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever the exception (an I/O error, a full disk, a permission taken away), nothing past the
            // durable end may count: fail every waiter and park until a retry writes the same bytes.
            Park(e);
            return;
        }

        if (end >= 0)
        {
            OnDurable(end);
        }
        else if (_durability.Failure is not null)
        {
            // Nothing was left to write (the log was closed meanwhile): nothing is waiting either.
            OnDurable(_log.DurableEnd);
        }
    }

    private void OnDurable(long end)
    {
        List<Action<BrokerErrorException?>>? callbacks = null;
        List<Action>? deferred = null;
        bool resumed;
        lock (_lock)
        {
            resumed = _durability.Advance(end, ref callbacks);
            if (resumed)
            {
                ResumeLocked();
            }

            var now = NowMs;
            while (_awaitingDurability.TryPeek(out var head) && head.LsnEnd <= end)
            {
                _awaitingDurability.Dequeue();
                var entry = head.Entry;
                if (entry.State != MessageState.Pending)
                {
                    continue;
                }

                _pendingFresh--;
                if (entry.ExpiresAtMs != 0)
                {
                    _expiries.Enqueue(entry, entry.ExpiresAtMs);
                    ScheduleTimerLocked(entry.ExpiresAtMs);
                }

                if (entry.IsExpired(now))
                {
                    DeadLetterLocked(entry, DeadLetterReason.Expired, null, ref deferred);
                }
                else if (entry.NotBeforeMs > now)
                {
                    DelayLocked(entry, entry.NotBeforeMs);
                }
                else
                {
                    _ready.AddFresh(entry);
                }
            }

            // What just became durable may include the log's backlog past the index.
            RefillIfLowLocked();
        }

        if (resumed)
        {
            _services.Resumed(this);
        }

        if (callbacks is not null)
        {
            foreach (var callback in callbacks)
            {
                callback(null);
            }
        }

        RunAll(deferred);
        Dispatch();
        _services.Maintenance.MaybeSnapshot(this, end - Volatile.Read(ref _snapshotLsn));
    }
}
