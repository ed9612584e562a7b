// Where a partition's in-memory index ends in its log. Every message from Offset up to the partition's next offset
// is unindexed: fresh, never delivered, its record at Lsn or later, read back into the index window as it drains.
// After a restart the stretch may also hold messages that were settled, returned or delivered after the snapshot was
// taken; those are remembered here, compactly, until the cursor passes them.
using Sinew.Broker.Storage;

namespace Sinew.Broker.Queues;

internal sealed class LogCursor
{
    private readonly OffsetRanges _settled = new();
    private Dictionary<long, (int DeliveryCount, int Failures, long NotBeforeMs)>? _requeued;

    /// <summary>A cursor with nothing unindexed: its offset follows the partition's next offset.</summary>
    public LogCursor(long lsn, long offset)
    {
        Lsn = lsn;
        Offset = offset;
    }

    /// <summary>The log position to read the unindexed messages from (meaningful while there are any).</summary>
    public long Lsn { get; set; }

    /// <summary>The first offset not indexed.</summary>
    public long Offset { get; private set; }

    /// <summary>Unindexed offsets that are in fact settled (found so at a restart).</summary>
    public long SettledCount => _settled.Count;

    public static LogCursor From(SnapshotCursor saved)
    {
        var cursor = new LogCursor(saved.Lsn, saved.Offset);
        foreach (var (start, end) in saved.Settled)
        {
            cursor._settled.AddRange(start, end);
        }

        foreach (var r in saved.Requeued)
        {
            (cursor._requeued ??= [])[r.Offset] = (r.DeliveryCount, r.Failures, r.NotBeforeMs);
        }

        return cursor;
    }

    public SnapshotCursor Save() => new(Lsn, Offset, [.. _settled.Ranges],
        _requeued is null ? [] : [.. _requeued.Select(r => new SnapshotRequeue(r.Key, r.Value.DeliveryCount, r.Value.NotBeforeMs, r.Value.Failures))]);

    /// <summary>Whether <paramref name="offset"/> lies in the unindexed stretch that ends before <paramref name="nextOffset"/>.</summary>
    public bool Covers(long offset, long nextOffset) => offset >= Offset && offset < nextOffset;

    /// <summary>Records that an unindexed message was settled (replaying the log at a restart).</summary>
    public void Settle(long offset)
    {
        _settled.Add(offset);
        _requeued?.Remove(offset);
    }

    /// <summary>Records the counts and not-before time a return gave an unindexed message (at a restart). A null
    /// <paramref name="failures"/> (a record of an earlier version, which counted none) leaves the failures as they were.</summary>
    public void Requeue(long offset, int deliveryCount, int? failures, long notBeforeMs)
    {
        if (!_settled.Contains(offset))
        {
            var known = (_requeued ??= []).GetValueOrDefault(offset);
            _requeued[offset] = (Math.Max(known.DeliveryCount, deliveryCount), failures ?? known.Failures, notBeforeMs);
        }
    }

    /// <summary>Records a delivery of an unindexed message (at a restart): its delivery count rises to
    /// <paramref name="deliveryCount"/>, and having been delivered it is not delayed.</summary>
    public void Deliver(long offset, int deliveryCount)
    {
        if (!_settled.Contains(offset))
        {
            var known = (_requeued ??= []).GetValueOrDefault(offset);
            _requeued[offset] = (Math.Max(known.DeliveryCount, deliveryCount), known.Failures, known.NotBeforeMs);
        }
    }

    /// <summary>Moves past the message at <see cref="Offset"/> as it is read back.</summary>
    /// <returns>False when that message turned out to be settled already; otherwise its counts and not-before time, if
    /// records after the snapshot set them.</returns>
    public bool Pass(out (int DeliveryCount, int Failures, long NotBeforeMs)? requeued)
    {
        var offset = Offset++;
        requeued = null;
        if (_settled.Remove(offset))
        {
            return false;
        }

        if (_requeued is not null && _requeued.Remove(offset, out var state))
        {
            requeued = state;
        }

        return true;
    }

    /// <summary>Makes the unindexed stretch empty, following <paramref name="nextOffset"/>.</summary>
    public void Follow(long nextOffset)
    {
        Offset = nextOffset;
        _settled.Clear();
        _requeued = null;
    }
}
