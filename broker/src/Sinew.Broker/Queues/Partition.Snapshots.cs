// Snapshots: at a log position S, every indexed message, the log cursor behind which the rest of the backlog
// waits, and the partition's idempotency keys, written once the log is durable up to S (the file format is
// Storage/SnapshotFile.cs). A deep backlog costs the snapshot its window, not one entry per message. Segments the snapshot makes
// unnecessary are deleted. Shutdown takes a last snapshot and closes the log.
using Sinew.Broker.Diagnostics;
using Sinew.Broker.Storage;

namespace Sinew.Broker.Queues;

internal sealed partial class Partition
{
    // One snapshot at a time: a periodic one may still be running when shutdown takes the last, and
    // both would write the same file.
    private readonly SemaphoreSlim _snapshotGate = new(1, 1);
    private long _snapshotLsn;

    /// <summary>Writes a snapshot of the current state and deletes the segments it makes unnecessary.</summary>
    public async Task WriteSnapshotAsync(CancellationToken cancellationToken)
    {
        await _snapshotGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WriteSnapshotExclusiveAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _snapshotGate.Release();
        }
    }

    // With changeLocked, the change runs under the same lock as the capture, so the snapshot is the first state to hold it.
    private async Task WriteSnapshotExclusiveAsync(CancellationToken cancellationToken, Action? changeLocked = null)
    {
        PartitionSnapshot data;
        lock (_lock)
        {
            if (changeLocked is not null)
            {
                ThrowIfNotWritable();
                changeLocked();
            }
            else if (_quarantine is not null || _durability.Failure is not null)
            {
                return;
            }

            var lsn = _log.AppendedEnd;
            var entries = new List<SnapshotEntry>(_messages.Count);
            foreach (var entry in _messages.Values)
            {
                // A message still waiting for its fsync keeps its not-before time too: the snapshot only exists
                // once it is durable, and recovery must not make it deliverable early.
                entries.Add(new SnapshotEntry(entry.Offset, entry.Lsn, entry.PublishedAtMs, entry.ExpiresAtMs,
                    entry.State is MessageState.Delayed or MessageState.Pending ? entry.NotBeforeMs : 0, entry.DeliveryCount, entry.Failures));
            }

            var cursor = HasUnindexed ? _cursor.Save() : SnapshotCursor.Empty(lsn, _nextOffset);
            data = new PartitionSnapshot(lsn, _nextOffset, entries, [], cursor);
        }

        var dedup = Queue.Dedup.EntriesOf(Index)
            .Where(d => d.Entry.LsnEnd <= data.Lsn)
            .Select(d => new SnapshotDedup(d.Producer, d.Sequence, d.Entry.Offset, d.Entry.LsnEnd, d.Entry.AtMs))
            .ToList();
        data = data with { Dedup = dedup };

        // The snapshot may only exist once every record it reflects is durable.
        RequestFlush();
        await WhenDurableAsync(data.Lsn).WaitAsync(cancellationToken).ConfigureAwait(false);

        SnapshotFile.Write(DirectoryPath, data);
        Volatile.Write(ref _snapshotLsn, data.Lsn);
        var keepFrom = data.RequiredStartLsn;
        var deleted = _log.DeleteSegmentsBefore(keepFrom);
        _services.Logger.SnapshotWritten(Index, Queue.Name, data.Lsn, deleted);
    }

    /// <summary>Flushes, snapshots and closes the log (graceful shutdown).</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        // A partition untouched since its last snapshot keeps it: that snapshot already records the log's end,
        // and a broker with many idle queues stops without rewriting one file per partition.
        if (QuarantineReason is null && ParkedReason is null && _log.AppendedEnd != Volatile.Read(ref _snapshotLsn))
        {
            try
            {
                await WriteSnapshotAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Out of time: what was flushed is safe; recovery replays the rest.
            }
            catch (BrokerErrorException)
            {
                // The log cannot be written: what was durable is safe; nothing past it was confirmed.
            }
        }

        lock (_flushLock)
        {
            FlushLocked();
            _log.Dispose();
        }
    }
}
