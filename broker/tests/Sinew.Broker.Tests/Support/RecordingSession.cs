// A session without a socket, for engine tests: it takes the deliveries partitions hand it, remembers where
// each came from as a real session does, and "writes" them (running auto-ack settlement) only when told to.
using System.Collections.Concurrent;
using System.Threading.Channels;
using Sinew.Broker.Queues;

namespace Sinew.Broker.Tests.Support;

internal sealed class RecordingSession : IDeliveryTarget
{
    private readonly Channel<Delivery> _deliveries = Channel.CreateUnbounded<Delivery>();
    private readonly ConcurrentQueue<Action> _unwritten = new();
    private long _nextDeliveryId;

    /// <summary>Where each delivery still held came from, as <see cref="TrackDelivery"/> was told.</summary>
    public ConcurrentDictionary<long, (Partition Partition, long Offset)> Held { get; } = new();

    /// <summary>Called at the start of every <see cref="SendDeliver"/>, on the dispatching thread.</summary>
    public Action? OnSend { get; set; }

    public bool HasDeliveryRoom => true;

    /// <summary>The next delivery, waiting at most <paramref name="within"/> (5 s by default).</summary>
    public async Task<Delivery> NextAsync(TimeSpan? within = null)
    {
        using var timeout = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(5));
        return await _deliveries.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>A delivery already received, if there is one.</summary>
    public bool TryNext(out Delivery delivery) => _deliveries.Reader.TryRead(out delivery);

    /// <summary>Whether no delivery arrives within <paramref name="window"/>.</summary>
    public async Task<bool> NothingWithinAsync(TimeSpan window)
    {
        await Task.Delay(window);
        return !_deliveries.Reader.TryPeek(out _);
    }

    /// <summary>Acts as if every delivery sent so far had been written to the socket.</summary>
    public void WriteEverything()
    {
        while (_unwritten.TryDequeue(out var onWritten))
        {
            onWritten();
        }
    }

    /// <summary>Settles a delivery as done, as a session does for an Ack of one id.</summary>
    public long Ack(Delivery delivery) =>
        Held.TryRemove(delivery.DeliveryId, out var held) ? held.Partition.AckOne(held.Offset, delivery.DeliveryId) : -1;

    /// <summary>Fails, retries or delays a delivery, as a session does for a Nack of one id.</summary>
    public Sinew.Protocol.Errors.ErrorCode? Nack(Delivery delivery, bool requeue, long notBeforeMs = 0, string? reason = null)
    {
        if (!Held.TryRemove(delivery.DeliveryId, out var held))
        {
            return Sinew.Protocol.Errors.ErrorCode.StaleDelivery;
        }

        return held.Partition.Nack(held.Offset, delivery.DeliveryId, requeue, notBeforeMs, reason, out _);
    }

    /// <summary>Puts a delivery back as a session does when its subscription or connection ends.</summary>
    public void Return(Delivery delivery, bool countsFailure)
    {
        if (Held.TryRemove(delivery.DeliveryId, out var held))
        {
            held.Partition.Return(held.Offset, delivery.DeliveryId, countsFailure);
        }
    }

    public long NextDeliveryId() => Interlocked.Increment(ref _nextDeliveryId);

    public void TrackDelivery(long deliveryId, Partition partition, long offset, ServerSubscription subscription) =>
        Held[deliveryId] = (partition, offset);

    public void ForgetDelivery(long deliveryId) => Held.TryRemove(deliveryId, out _);

    public void EndSubscriptionOfDeletedQueue(ServerSubscription subscription) => subscription.Close();

    public void CountPendingDelivery(in Delivery delivery)
    {
    }

    public void SendDeliver(ulong subscriptionId, IReadOnlyList<Delivery> deliveries, Action? onWritten)
    {
        OnSend?.Invoke();
        foreach (var delivery in deliveries)
        {
            _deliveries.Writer.TryWrite(delivery);
        }

        if (onWritten is not null)
        {
            _unwritten.Enqueue(() =>
            {
                foreach (var delivery in deliveries)
                {
                    Held.TryRemove(delivery.DeliveryId, out _);
                }

                onWritten();
            });
        }
    }
}
