// What a partition's snapshot holds: every unsettled message, with where its record lies in the log, and the
// partition's idempotency keys, as of a log position. Recovery loads the newest snapshot and replays only the
// log after that position.
namespace Sinew.Broker.Storage;

/// <summary>A partition's state at log position <see cref="Lsn"/>.</summary>
/// <param name="Lsn">The log position the snapshot describes: everything before it is reflected.</param>
/// <param name="NextOffset">The offset the next message gets.</param>
/// <param name="Entries">The unsettled messages.</param>
/// <param name="Dedup">The idempotency keys stored in the partition.</param>
internal sealed record PartitionSnapshot(long Lsn, long NextOffset, List<SnapshotEntry> Entries, List<SnapshotDedup> Dedup)
{
    /// <summary>The file it was read from (empty for one not read from a file).</summary>
    public string FileName { get; init; } = "";

    /// <summary>The first log position the snapshot needs: its own position, or the record of its oldest
    /// unsettled message.</summary>
    public long RequiredStartLsn => Entries.Count == 0 ? Lsn : Math.Min(Lsn, Entries.Min(e => e.Lsn));
}

/// <summary>An unsettled message: its offset, the log position of its record, its times and its delivery count.
/// A not-before time of 0 means it is deliverable at once.</summary>
internal sealed record SnapshotEntry(long Offset, long Lsn, long PublishedAtMs, long ExpiresAtMs, long NotBeforeMs, int DeliveryCount);

/// <summary>An idempotency key and where its message was stored.</summary>
internal sealed record SnapshotDedup(string Producer, ulong Sequence, long Offset, long LsnEnd, long AtMs);
