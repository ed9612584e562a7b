// The session side of dispatch, as partitions see it: delivery ids, the bookkeeping settlements need, the
// bound on unwritten deliveries, and sending.
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

    /// <summary>Counts a delivery about to be sent against that limit, until it is written. Called under the
    /// partition's lock, so it must be cheap and must not call back into any partition.</summary>
    void CountPendingDelivery(in Delivery delivery);

    /// <summary>Sends the deliveries, in frames within the negotiated frame size. For auto-ack subscriptions,
    /// <paramref name="onWritten"/> runs once they have been written to the socket, which is when those
    /// deliveries count as settled. Called after the partition's lock is released, but one call at a time per
    /// partition, in the order the deliveries were made; it must not call back into any partition.</summary>
    void SendDeliver(ulong subscriptionId, IReadOnlyList<Delivery> deliveries, Action? onWritten);

    /// <summary>Ends a subscription because its queue was deleted: the client is told, and the deliveries the
    /// subscription still holds are forgotten, so settling them later answers stale. Called with no partition lock held.</summary>
    void EndSubscriptionOfDeletedQueue(ServerSubscription subscription);
}
