// What a session holds across connections (specification section 4.5): its id, its subscriptions, the deliveries
// it holds unsettled and the token that resumes it. Partitions deliver to this, not to a connection, so a session
// whose connection broke stays registered with every partition while it is dormant, receives nothing, and takes up
// deliveries again under the same ids once a new connection resumes it.
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Sinew.Broker.Queues;

namespace Sinew.Broker.Network;

internal sealed class SessionState(string? user) : IDeliveryTarget
{
    private const int TokenBytes = 32;

    private long _nextDeliveryId;
    private Session? _connection;

    public string SessionId { get; } = Guid.NewGuid().ToString("D");

    /// <summary>The authenticated user the session belongs to; null when the broker does not authenticate. Only
    /// this user may resume it.</summary>
    public string? User { get; } = user;

    public ConcurrentDictionary<long, DeliveryRef> Deliveries { get; } = new();

    /// <summary>The open subscriptions by id; lock it to read or change it.</summary>
    public Dictionary<ulong, ServerSubscription> Subscriptions { get; } = [];

    /// <summary>The last subscription id given out; ids are never reused within the session.</summary>
    public ulong LastSubscriptionId { get; set; }

    /// <summary>A hash of the token issued last, as the registry of dormant sessions finds it. The token itself is
    /// kept nowhere: it is handed to the client once.</summary>
    public string TokenHash { get; private set; } = "";

    /// <summary>While dormant: when the grace window ends (unix ms), and what the admin endpoint shows.</summary>
    public long DormantUntilMs { get; set; }

    public ConnectionSummary? LastSeen { get; set; }

    /// <summary>The connection serving the session; null while it is dormant.</summary>
    public Session? Connection => Volatile.Read(ref _connection);

    /// <summary>The highest delivery id given out so far.</summary>
    public long LastDeliveryId => Interlocked.Read(ref _nextDeliveryId);

    /// <summary>Makes a fresh token, which replaces the previous one: a token resumes a session once.</summary>
    public byte[] IssueToken()
    {
        var token = RandomNumberGenerator.GetBytes(TokenBytes);
        TokenHash = HashToken(token);
        return token;
    }

    public static string HashToken(ReadOnlySpan<byte> token) => Convert.ToHexString(SHA256.HashData(token));

    public void Attach(Session connection) => Volatile.Write(ref _connection, connection);

    /// <summary>Leaves the session without a connection, unless another one has taken it since.</summary>
    public void Detach(Session connection) => Interlocked.CompareExchange(ref _connection, null, connection);

    public ServerSubscription[] SubscriptionsNow()
    {
        lock (Subscriptions)
        {
            return [.. Subscriptions.Values];
        }
    }

    /// <summary>Asks every partition of every subscription to deliver: after a resume, dispatch skipped the session.</summary>
    public void KickSubscriptions()
    {
        foreach (var subscription in SubscriptionsNow())
        {
            subscription.KickPartitions();
        }
    }

    /// <summary>Closes every subscription and returns every unsettled delivery to its queue; a manual-ack delivery
    /// counts a failure when <paramref name="handedOut"/> says so. An auto-ack delivery still held was never written
    /// to the socket, so the application cannot have seen it.</summary>
    public void ReleaseEverything(HandedOut handedOut)
    {
        List<ServerSubscription> subscriptions;
        lock (Subscriptions)
        {
            subscriptions = [.. Subscriptions.Values];
            Subscriptions.Clear();
        }

        foreach (var subscription in subscriptions)
        {
            Close(subscription);
        }

        foreach (var deliveryId in Deliveries.Keys)
        {
            if (Deliveries.TryRemove(deliveryId, out var delivery))
            {
                var countsFailure = delivery.Subscription.AckPolicy == AckPolicy.Manual && handedOut.CountsFailure(deliveryId);
                delivery.Partition.Return(delivery.Offset, deliveryId, countsFailure);
            }
        }
    }

    /// <summary>Ends one subscription the session no longer has in its table and returns its unsettled deliveries,
    /// a failure for those <paramref name="handedOut"/> names.</summary>
    public void Drop(ServerSubscription subscription, HandedOut handedOut)
    {
        Close(subscription);
        foreach (var (deliveryId, delivery) in Deliveries)
        {
            if (delivery.Subscription == subscription && Deliveries.TryRemove(deliveryId, out _))
            {
                var countsFailure = subscription.AckPolicy == AckPolicy.Manual && handedOut.CountsFailure(deliveryId);
                delivery.Partition.Return(delivery.Offset, deliveryId, countsFailure);
            }
        }
    }

    /// <summary>Returns the auto-ack deliveries still held: a connection that broke never wrote them, and a resumed
    /// one cannot settle them, so they go back at once, no failure of the messages.</summary>
    public void ReturnUnwrittenAutoAck()
    {
        foreach (var (deliveryId, delivery) in Deliveries)
        {
            if (delivery.Subscription.AckPolicy == AckPolicy.Auto && Deliveries.TryRemove(deliveryId, out _))
            {
                delivery.Partition.Return(delivery.Offset, deliveryId, countsFailure: false);
            }
        }
    }

    /// <summary>Ends a subscription whose queue was deleted. Its deliveries are forgotten, not returned (the queue is
    /// gone), so settling them later answers stale; the connection, if the session has one, tells the client.</summary>
    public void EndSubscriptionOfDeletedQueue(ServerSubscription subscription)
    {
        lock (Subscriptions)
        {
            if (!Subscriptions.Remove(subscription.Id))
            {
                // The client unsubscribed, or the session ended, meanwhile.
                return;
            }
        }

        // Detaching waits until every delivery the partitions made to it has been handed over, so the notice comes after them.
        Close(subscription);
        foreach (var (deliveryId, delivery) in Deliveries)
        {
            if (delivery.Subscription == subscription)
            {
                Deliveries.TryRemove(deliveryId, out _);
            }
        }

        Connection?.TellSubscriptionDeleted(subscription);
    }

    private static void Close(ServerSubscription subscription)
    {
        subscription.Close();
        foreach (var partition in subscription.Partitions)
        {
            partition.Detach(subscription);
        }
    }

    public long NextDeliveryId() => Interlocked.Increment(ref _nextDeliveryId);

    public void TrackDelivery(long deliveryId, Partition partition, long offset, ServerSubscription subscription) =>
        Deliveries[deliveryId] = new DeliveryRef(partition, offset, subscription);

    public void ForgetDelivery(long deliveryId) => Deliveries.TryRemove(deliveryId, out _);

    // A dormant session has no room: its subscriptions stay attached but receive nothing.
    public bool HasDeliveryRoom => Connection?.HasDeliveryRoom ?? false;

    public void CountPendingDelivery(in Delivery delivery) => Connection?.CountPendingDelivery(delivery);

    public void SendDeliver(ulong subscriptionId, IReadOnlyList<Delivery> deliveries, Action? onWritten)
    {
        if (Connection is { } connection)
        {
            connection.SendDeliver(subscriptionId, deliveries, onWritten);
        }
        else
        {
            ReturnUnsent(deliveries, 0, deliveries.Count);
        }
    }

    /// <summary>Returns deliveries made while the connection went away and never written: the client cannot know of
    /// them, so they are no failure. It runs apart, since the partition that made them may not be called back.</summary>
    public void ReturnUnsent(IReadOnlyList<Delivery> deliveries, int from, int to)
    {
        List<(DeliveryRef Delivery, long Id)>? unsent = null;
        for (var i = from; i < to; i++)
        {
            var id = deliveries[i].DeliveryId;
            if (Deliveries.TryRemove(id, out var delivery))
            {
                (unsent ??= []).Add((delivery, id));
            }
        }

        if (unsent is not null)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static items =>
            {
                foreach (var (delivery, id) in items)
                {
                    delivery.Partition.Return(delivery.Offset, id, countsFailure: false);
                }
            }, unsent, preferLocal: false);
        }
    }
}
