// One partition of a queue: its log, its unsettled messages and every rule about them. The rules live in
// the Partition.*.cs files by concern: appending, durability, dispatch, settlement, the counts of deliveries and
// failures, timers, dead-lettering, resident bodies, the index window, parking after write failures, quarantine,
// recovery and snapshots.
//
// All state is guarded by one lock; work that touches other partitions, the network or callbacks is
// collected while the lock is held and run after it is released, so partition locks never nest.
using Sinew.Broker.Engine;
using Sinew.Broker.Storage;

namespace Sinew.Broker.Queues;

/// <summary>A partition of a queue.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001",
    Justification = "The only disposable field is a SemaphoreSlim whose wait handle is never taken; it holds nothing to release.")]
internal sealed partial class Partition : IScheduledPartition
{
    private readonly object _lock = new();
    private readonly Dictionary<long, MessageEntry> _messages = [];
    private readonly ReadyQueue _ready = new();
    private readonly List<ServerSubscription> _consumers = [];
    private readonly BrokerServices _services;
    private readonly PartitionLog _log;
    private long _nextOffset;
    private int _inflight;

    public Partition(Queue queue, uint index, PartitionLog log, BrokerServices services)
    {
        Queue = queue;
        Index = index;
        _log = log;
        _services = services;
    }

    public Queue Queue { get; }

    public uint Index { get; }

    public QueueName QueueName => Queue.Name;

    internal PartitionLog Log => _log;

    /// <summary>The partition's directory: its segments and snapshots.</summary>
    private string DirectoryPath => Path.Combine(Queue.Directory, $"p{Index}");

    private long NowMs => _services.Time.GetUtcNow().ToUnixTimeMilliseconds();

    public PartitionStats Stats
    {
        get
        {
            lock (_lock)
            {
                // Messages past the index count as ready: they are fresh, and a delayed or expired one among them
                // is found so when it is read back.
                var unindexed = UnindexedCount;
                return new PartitionStats(Index, _messages.Count + unindexed, _ready.Count + unindexed, _delayedCount, _inflight, _nextOffset,
                    _consumers.Count, _quarantine, _messages.Count, _deadLettering);
            }
        }
    }

    private static void RunAll(List<Action>? actions)
    {
        if (actions is null)
        {
            return;
        }

        foreach (var action in actions)
        {
            action();
        }
    }
}
