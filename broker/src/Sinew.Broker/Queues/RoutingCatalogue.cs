// The routing catalogue: every queue (streams later) a client can route to, with its partition count, routing
// version and owners, under a generation that increases with every change. The network layer turns a snapshot
// into the Topology frame clients are sent; this layer knows nothing of frames.
namespace Sinew.Broker.Queues;

/// <summary>What a catalogue entry routes to.</summary>
internal enum CatalogueEntryKind
{
    Queue,
    Stream,
}

/// <summary>One routable channel.</summary>
/// <param name="Kind">Queue or stream.</param>
/// <param name="Name">Topic and group.</param>
/// <param name="Partitions">Partition count.</param>
/// <param name="RoutingVersion">The version a publish routed with this entry carries; it changes when the
/// partitioning does, and a publish carrying an older one is redirected.</param>
/// <param name="Owners">Per partition, the owning broker's index among the catalogue's brokers; null when this
/// broker owns every partition (a single node).</param>
internal sealed record CatalogueEntry(CatalogueEntryKind Kind, QueueName Name, uint Partitions, ulong RoutingVersion, IReadOnlyList<uint>? Owners = null);

/// <summary>The catalogue as it was at one generation; immutable, so it is built once and shared.</summary>
/// <param name="Generation">The catalogue generation.</param>
/// <param name="Entries">Every entry, ordered by topic, then group (no group first), ordinally.</param>
internal sealed record CatalogueSnapshot(long Generation, IReadOnlyList<CatalogueEntry> Entries);

internal sealed class RoutingCatalogue
{
    private readonly object _lock = new();
    // Kept ordered, so a snapshot is a copy rather than a sort of thousands of names.
    private readonly SortedDictionary<QueueName, CatalogueEntry> _entries = new(NameOrder.Instance);
    private long _generation;
    private CatalogueSnapshot? _snapshot;

    /// <summary>Raised after every change, outside the catalogue's lock. Handlers must not block: a declare waits
    /// for them.</summary>
    public event Action? Changed;

    /// <summary>The current generation.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Fills the catalogue at start, before anyone reads it.</summary>
    /// <param name="entries">The indexed queues.</param>
    /// <param name="generation">Where the generation starts. Clients compare generations only within one
    /// connection's session, so a restart may count from anywhere.</param>
    public void Load(IEnumerable<CatalogueEntry> entries, long generation)
    {
        lock (_lock)
        {
            _entries.Clear();
            foreach (var entry in entries)
            {
                _entries[entry.Name] = entry;
            }

            _snapshot = null;
            Interlocked.Exchange(ref _generation, generation);
        }
    }

    /// <summary>Adds an entry or replaces the one of the same name, as one new generation.</summary>
    public void Put(CatalogueEntry entry)
    {
        lock (_lock)
        {
            _entries[entry.Name] = entry;
            _snapshot = null;
            Interlocked.Increment(ref _generation);
        }

        Changed?.Invoke();
    }

    /// <summary>Removes the entry of <paramref name="name"/>, as one new generation (a deleted queue is a change).
    /// Returns false, changing nothing, when there is no such entry.</summary>
    public bool Remove(QueueName name)
    {
        lock (_lock)
        {
            if (!_entries.Remove(name))
            {
                return false;
            }

            _snapshot = null;
            Interlocked.Increment(ref _generation);
        }

        Changed?.Invoke();
        return true;
    }

    /// <summary>The catalogue now. Built on first use per generation and shared by every caller.</summary>
    public CatalogueSnapshot Current()
    {
        lock (_lock)
        {
            return _snapshot ??= new CatalogueSnapshot(_generation, [.. _entries.Values]);
        }
    }

    private sealed class NameOrder : IComparer<QueueName>
    {
        public static readonly NameOrder Instance = new();

        public int Compare(QueueName x, QueueName y)
        {
            var byTopic = string.CompareOrdinal(x.Topic, y.Topic);
            return byTopic != 0 ? byTopic : string.CompareOrdinal(x.Group, y.Group);
        }
    }
}
