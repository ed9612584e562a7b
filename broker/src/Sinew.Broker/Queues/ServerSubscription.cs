// A consumer attached to a queue: its ack mode, its prefetch credit and the partitions it reads.
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Queues;

/// <summary>What a subscription delivers to: the session that owns it.</summary>
internal interface IDeliveryTarget
{
    /// <summary>A session-unique delivery id.</summary>
    long NextDeliveryId();

    /// <summary>Remembers which partition a delivery came from, so settlements can find it.</summary>
    void TrackDelivery(long deliveryId, Partition partition, long offset, ServerSubscription subscription);

    /// <summary>Forgets a delivery that left the session another way (lease expiry).</summary>
    void ForgetDelivery(long deliveryId);

    /// <summary>Whether the session can take more deliveries now: what it has waiting to be written to its
    /// socket is under its limit. A consumer that stops reading thus holds a bounded amount of memory.</summary>
    bool HasDeliveryRoom { get; }

    /// <summary>Counts a delivery about to be sent against that limit, until it is written.</summary>
    void CountPendingDelivery(DeliveredMessage message);

    /// <summary>Sends the deliveries, in frames within the negotiated frame size. For auto-ack subscriptions,
    /// <paramref name="onWritten"/> runs once they have been written to the socket, which is when those
    /// deliveries count as settled.</summary>
    void SendDeliver(ulong subscriptionId, IReadOnlyList<DeliveredMessage> messages, Action? onWritten);
}

/// <summary>A broker-side subscription. Credit is the number of deliveries it may hold unsettled
/// (manual ack) or unwritten (auto ack); it is shared by every partition the subscription reads.</summary>
internal sealed class ServerSubscription(
    ulong id,
    IDeliveryTarget target,
    Queue queue,
    IReadOnlyList<Partition> partitions,
    AckMode ackMode,
    int prefetch)
{
    private int _outstanding;
    private int _closed;
    private int _nextPartition;

    public ulong Id { get; } = id;

    public IDeliveryTarget Target { get; } = target;

    public Queue Queue { get; } = queue;

    public IReadOnlyList<Partition> Partitions { get; } = partitions;

    public AckMode AckMode { get; } = ackMode;

    public int Prefetch { get; } = prefetch;

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
