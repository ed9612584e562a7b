// Remembers recent idempotency keys (producer id + sequence) of a queue, so a retried publish returns
// the original offset instead of being stored twice.
namespace Sinew.Broker.Queues;

/// <summary>Idempotency keys seen within the dedup window, oldest first. Guarded by its own lock, which
/// is held across the duplicate check and the append so two copies of one key cannot both be stored.</summary>
internal sealed class DedupTable(long windowMs, int maxEntries)
{
    private readonly Dictionary<(string Producer, ulong Sequence), DedupEntry> _entries = [];
    private readonly Queue<(string Producer, ulong Sequence, long AtMs)> _order = new();

    public object Lock { get; } = new();

    public int Count => _entries.Count;

    /// <summary>Looks a key up; the caller holds <see cref="Lock"/>.</summary>
    public bool TryGet(string producer, ulong sequence, long nowMs, out DedupEntry entry)
    {
        Prune(nowMs);
        return _entries.TryGetValue((producer, sequence), out entry);
    }

    /// <summary>Records a stored key; the caller holds <see cref="Lock"/> (or is recovering).</summary>
    public void Add(string producer, ulong sequence, DedupEntry entry)
    {
        if (_entries.TryAdd((producer, sequence), entry))
        {
            _order.Enqueue((producer, sequence, entry.AtMs));
            while (_entries.Count > maxEntries && _order.TryDequeue(out var oldest))
            {
                _entries.Remove((oldest.Producer, oldest.Sequence));
            }
        }
    }

    /// <summary>Entries stored in one partition, for its snapshot.</summary>
    public List<(string Producer, ulong Sequence, DedupEntry Entry)> EntriesOf(uint partition)
    {
        lock (Lock)
        {
            return _entries.Where(e => e.Value.Partition == partition).Select(e => (e.Key.Producer, e.Key.Sequence, e.Value)).ToList();
        }
    }

    private void Prune(long nowMs)
    {
        while (_order.TryPeek(out var oldest) && oldest.AtMs + windowMs < nowMs)
        {
            _order.Dequeue();
            _entries.Remove((oldest.Producer, oldest.Sequence));
        }
    }
}

/// <summary>Where a remembered publish was stored.</summary>
internal readonly record struct DedupEntry(uint Partition, long Offset, long LsnEnd, long AtMs);
