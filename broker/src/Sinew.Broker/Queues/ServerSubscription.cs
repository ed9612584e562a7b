// A consumer attached to a queue: its ack mode, its prefetch credit and the partitions it reads.
namespace Sinew.Broker.Queues;

/// <summary>A broker-side subscription. Credit is the number of deliveries it may hold unsettled
/// (manual ack) or unwritten (auto ack); it is shared by every partition the subscription reads.</summary>
internal sealed class ServerSubscription(
    ulong id,
    IDeliveryTarget target,
    Queue queue,
    IReadOnlyList<Partition> partitions,
    AckPolicy ackPolicy,
    int prefetch)
{
    private int _outstanding;
    private int _closed;
    private int _nextPartition;

    public ulong Id { get; } = id;

    public IDeliveryTarget Target { get; } = target;

    public Queue Queue { get; } = queue;

    public IReadOnlyList<Partition> Partitions { get; } = partitions;

    public AckPolicy AckPolicy { get; } = ackPolicy;

    public int Prefetch { get; } = prefetch;

    /// <summary>The partition the subscriber named; null when it subscribed to every partition.</summary>
    public uint? NamedPartition { get; init; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Deliveries currently held against the prefetch bound.</summary>
    public int Outstanding => Volatile.Read(ref _outstanding);

    public bool TryTakeCredit()
    {
        while (true)
        {
            var current = Volatile.Read(ref _outstanding);
            if (current >= Prefetch || IsClosed)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _outstanding, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>Gives back credit taken but not used. Safe under a partition lock: it does not dispatch.</summary>
    public void ReturnUnusedCredit() => Interlocked.Decrement(ref _outstanding);

    /// <summary>Gives back the credit of settled deliveries and lets the partitions deliver more. Must be
    /// called with no partition lock held.</summary>
    public void Release(int count)
    {
        var after = Interlocked.Add(ref _outstanding, -count);
        if (after + count >= Prefetch && !IsClosed)
        {
            KickPartitions();
        }
    }

    /// <summary>Asks every partition to deliver, starting from a different one each time so that
    /// freed credit is spread fairly.</summary>
    public void KickPartitions()
    {
        var count = Partitions.Count;
        var start = (int)((uint)Interlocked.Increment(ref _nextPartition) % (uint)count);
        for (var i = 0; i < count && !IsClosed && Outstanding < Prefetch; i++)
        {
            Partitions[(start + i) % count].Dispatch();
        }
    }

    /// <summary>Stops new deliveries. The owner returns what it still holds.</summary>
    public bool Close() => Interlocked.Exchange(ref _closed, 1) == 0;
}
