// Purging: every ready and delayed message leaves the partition at once, indexed or still in the log's backlog;
// messages consumers hold stay, and so do messages not yet durable and dead letters on their way out. The purge is
// made durable by a snapshot taken under the same lock: it records the partition without the purged messages, and
// recovery starts from it, so a crash after it never brings them back. Until it is written the purge is not
// answered; a crash before that leaves the messages (recovery replays the log as it was), never loses others.
namespace Sinew.Broker.Queues;

internal sealed partial class Partition
{
    /// <summary>Removes every ready and delayed message and returns how many, once the removal is durable.</summary>
    public async Task<long> PurgeAsync(CancellationToken cancellationToken)
    {
        long removed = 0;
        await _snapshotGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WriteSnapshotExclusiveAsync(cancellationToken, () => removed = PurgeLocked()).ConfigureAwait(false);
        }
        finally
        {
            _snapshotGate.Release();
        }

        return removed;
    }

    private long PurgeLocked()
    {
        var purged = new List<MessageEntry>();
        foreach (var entry in _messages.Values)
        {
            if (entry.State is MessageState.Ready or MessageState.Delayed)
            {
                purged.Add(entry);
            }
        }

        foreach (var entry in purged)
        {
            if (entry.State == MessageState.Ready)
            {
                _ready.Forget(entry);
            }
            else
            {
                // The delay heap's item goes stale: its ticket no longer matches.
                entry.Ticket++;
                _delayedCount--;
            }

            RemoveLocked(entry);
        }

        long removed = purged.Count;
        if (HasUnindexed)
        {
            removed += UnindexedCount;
            _cursor.Follow(_nextOffset);
            // A read-back under way started from the old position: moving it makes that read be discarded.
            _cursor.Lsn = _log.AppendedEnd;
        }

        return removed;
    }
}
