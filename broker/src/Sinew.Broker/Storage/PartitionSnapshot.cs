// What a partition's snapshot holds, as of a log position: the messages indexed in memory (delivered, returned,
// delayed, and the window of fresh ones), with where each record lies in the log; the log cursor, from which the
// rest of the backlog is read back; and the partition's idempotency keys. Recovery loads the newest snapshot and
// replays only the log after that position.
namespace Sinew.Broker.Storage;

/// <summary>A partition's state at log position <see cref="Lsn"/>.</summary>
/// <param name="Lsn">The log position the snapshot describes: everything before it is reflected.</param>
/// <param name="NextOffset">The offset the next message gets.</param>
/// <param name="Entries">The unsettled messages indexed in memory.</param>
/// <param name="Dedup">The idempotency keys stored in the partition.</param>
/// <param name="Cursor">Where the unindexed rest of the backlog starts; its offset is <paramref name="NextOffset"/>
/// when there is none.</param>
internal sealed record PartitionSnapshot(long Lsn, long NextOffset, List<SnapshotEntry> Entries, List<SnapshotDedup> Dedup, SnapshotCursor Cursor)
{
    /// <summary>The file it was read from (empty for one not read from a file).</summary>
    public string FileName { get; init; } = "";

    /// <summary>Whether messages past the index are waiting in the log from <see cref="SnapshotCursor.Lsn"/> on.</summary>
    public bool HasUnindexed => Cursor.Offset < NextOffset;

    /// <summary>The first log position the snapshot needs: its own position, the record of its oldest indexed
    /// message, or its cursor.</summary>
    public long RequiredStartLsn
    {
        get
        {
            var required = Entries.Count == 0 ? Lsn : Math.Min(Lsn, Entries.Min(e => e.Lsn));
            return HasUnindexed ? Math.Min(required, Cursor.Lsn) : required;
        }
    }
}

/// <summary>The log cursor: messages from <paramref name="Offset"/> on are not indexed, and their records start at
/// <paramref name="Lsn"/>; among them, the offsets in <paramref name="Settled"/> are settled and those in
/// <paramref name="Requeued"/> were returned or delivered (both only after a restart found them so).</summary>
internal sealed record SnapshotCursor(long Lsn, long Offset, List<(long Start, long End)> Settled, List<SnapshotRequeue> Requeued)
{
    /// <summary>A cursor with nothing behind it, at <paramref name="nextOffset"/>.</summary>
    public static SnapshotCursor Empty(long lsn, long nextOffset) => new(lsn, nextOffset, [], []);
}

/// <summary>An unindexed message's delivery and failure counts and not-before time, as the records about it after
/// the last snapshot set them (its last return, or a delivery since).</summary>
internal sealed record SnapshotRequeue(long Offset, int DeliveryCount, long NotBeforeMs, int Failures);

/// <summary>An unsettled message: its offset, the log position of its record, its times, and its delivery and
/// failure counts. A not-before time of 0 means it is deliverable at once.</summary>
internal sealed record SnapshotEntry(long Offset, long Lsn, long PublishedAtMs, long ExpiresAtMs, long NotBeforeMs, int DeliveryCount, int Failures);

/// <summary>An idempotency key and where its message was stored.</summary>
internal sealed record SnapshotDedup(string Producer, ulong Sequence, long Offset, long LsnEnd, long AtMs);
