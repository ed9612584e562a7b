// The index window. A partition keeps in memory its delivered, returned and delayed messages and at most
// storage.index_window fresh ones at the head of its backlog; the rest of the backlog stays in the log, behind the
// log cursor (LogCursor), and is read back in order as the window drains. Reading happens on a pool thread outside
// the partition's lock, which is taken only to apply what was read, so appends and settlements do not wait for
// the disk. Fresh messages are delivered lowest offset first, so keeping the older ones in memory and the newer
// ones on disk changes no delivery order.
using Sinew.Broker.Diagnostics;
using Sinew.Broker.Storage;

namespace Sinew.Broker.Queues;

internal sealed partial class Partition
{
    private LogCursor _cursor = new(0, 0);
    // Messages indexed as they were appended and not yet durable: they join the window's fresh messages then.
    private int _pendingFresh;
    // Messages whose dead-letter copy is on its way: they stay indexed until it is durable.
    private int _deadLettering;
    private int _refillQueued;

    private int WindowSize => _services.Options.Storage.IndexWindow;

    /// <summary>What fills the window: fresh messages waiting for their fsync or for a consumer, and messages
    /// leaving through the dead-letter policy (so an expiring backlog is not read in all at once).</summary>
    private int WindowUsed => _pendingFresh + _ready.FreshCount + _deadLettering;

    /// <summary>Whether messages wait in the log past the index.</summary>
    private bool HasUnindexed => _cursor.Offset < _nextOffset;

    private int UnindexedCount => (int)(_nextOffset - _cursor.Offset - _cursor.SettledCount);

    /// <summary>Whether the message being appended can be indexed at once: nothing older waits in the log (order)
    /// and the window has room.</summary>
    private bool CanIndexAppendLocked() => !HasUnindexed && WindowUsed < WindowSize;

    /// <summary>Asks for the window to be refilled once a quarter of it has drained, so a refill reads a batch at a
    /// time (and holds the lock only to index that batch) while the consumers still have three quarters meanwhile.</summary>
    private void RefillIfLowLocked()
    {
        if (HasUnindexed && WindowUsed <= WindowSize - Math.Max(1, WindowSize / 4) && _cursor.Lsn < _durability.DurableEnd)
        {
            QueueRefill();
        }
    }

    private void QueueRefill()
    {
        if (Interlocked.Exchange(ref _refillQueued, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static partition => partition.RunRefill(), this, preferLocal: false);
        }
    }

    private void RunRefill()
    {
        var progressed = false;
        try
        {
            progressed = Refill();
        }
        finally
        {
            Volatile.Write(ref _refillQueued, 0);
        }

        if (progressed)
        {
            // A drain that happened while this refill ran found one already queued and asked for nothing.
            lock (_lock)
            {
                if (_quarantine is null && _durability.Failure is null)
                {
                    RefillIfLowLocked();
                }
            }

            Dispatch();
        }
    }

    /// <summary>Reads unindexed messages back from the log into the window until it is full or nothing durable
    /// is left to read.</summary>
    /// <returns>Whether anything was read.</returns>
    private bool Refill()
    {
        var progressed = false;
        while (true)
        {
            long from, to;
            int want;
            lock (_lock)
            {
                if (_quarantine is not null || _durability.Failure is not null || !HasUnindexed)
                {
                    return progressed;
                }

                want = WindowSize - WindowUsed;
                from = _cursor.Lsn;
                to = _durability.DurableEnd;
                if (want <= 0 || from >= to)
                {
                    return progressed;
                }
            }

            BacklogBatch batch;
            try
            {
                batch = BacklogReader.Read(_log, from, to, want);
            }
            catch (InvalidDataException e)
            {
                lock (_lock)
                {
                    QuarantineLocked($"the backlog cannot be read back from log position {from}: {e.Message}");
                }

                return progressed;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                // Closed meanwhile, or the disk could not be read this time: the next drain asks again.
                if (e is not ObjectDisposedException)
                {
                    _services.Logger.BodyReadFailed(e, _cursor.Offset, Index, Queue.Name);
                }

                return progressed;
            }

            lock (_lock)
            {
                if (_cursor.Lsn != from || _quarantine is not null)
                {
                    return progressed;
                }

                try
                {
                    IndexReadBackLocked(batch);
                }
                catch (InvalidDataException e)
                {
                    QuarantineLocked(e.Message);
                    return progressed;
                }
            }

            progressed = true;
        }
    }

    /// <summary>Indexes messages read back from the log at the cursor, which they must continue, in order.</summary>
    /// <exception cref="InvalidDataException">They do not continue it.</exception>
    private void IndexReadBackLocked(BacklogBatch batch)
    {
        var now = NowMs;
        foreach (var (lsn, record) in batch.Messages)
        {
            if (record.Offset != _cursor.Offset)
            {
                throw new InvalidDataException($"the log holds message {record.Offset} at position {lsn} where the backlog continues with message {_cursor.Offset}");
            }

            if (!_cursor.Pass(out var requeued))
            {
                continue;
            }

            var entry = new MessageEntry(record.Offset, lsn, record.PublishedAtMs, record.ExpiresAtMs)
            {
                NotBeforeMs = requeued?.NotBeforeMs ?? record.NotBeforeMs,
                DeliveryCount = requeued?.DeliveryCount ?? 0,
                Failures = requeued?.Failures ?? 0,
            };
            HoldBodyLocked(entry, record.Body, force: false);
            _messages.Add(entry.Offset, entry);
            PlaceIndexedLocked(entry, now);
        }

        _cursor.Lsn = batch.End;
        if (!HasUnindexed)
        {
            _cursor.Follow(_nextOffset);
        }
    }

    /// <summary>Puts a message that just entered the index where it belongs: delayed until its time, or ready.
    /// One past its TTL is left ready with its expiry due, for the timer to dead-letter. One whose dead-lettering a
    /// stop interrupted goes on to its target instead.</summary>
    private void PlaceIndexedLocked(MessageEntry entry, long now)
    {
        if (ResumeDeadLetterLocked(entry))
        {
            return;
        }

        if (entry.ExpiresAtMs != 0)
        {
            _expiries.Enqueue(entry, entry.ExpiresAtMs);
            ScheduleTimerLocked(entry.ExpiresAtMs);
        }

        if (entry.NotBeforeMs > now)
        {
            DelayLocked(entry, entry.NotBeforeMs);
        }
        else
        {
            entry.NotBeforeMs = 0;
            _ready.AddFresh(entry);
        }
    }
}
