// The connection as partitions deliver to it, through its SessionState: the bound on deliveries not yet written
// to the socket, and the Deliver frames, cut to the frame and list limits. A Delivery becomes a wire DeliveredMessage here, after the partition has released its lock.
using Sinew.Broker.Queues;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Network;

internal sealed partial class Session
{
    public bool HasDeliveryRoom => !_out.IsClosed && Interlocked.Read(ref _pendingDeliveryBytes) < _broker.Options.Limits.MaxPendingDeliveryBytes;

    public void CountPendingDelivery(in Delivery delivery) => Interlocked.Add(ref _pendingDeliveryBytes, EncodedSizeBound(delivery));

    public void SendDeliver(ulong subscriptionId, IReadOnlyList<Delivery> deliveries, Action? onWritten)
    {
        // A dispatch can hold more than one frame may carry (large messages, or a large prefetch): cut it
        // into frames within the size and list limits announced in HelloOk, or the client must refuse the
        // frame and the queue could never drain. The frames go out in order, so the last one written means
        // all were.
        var limit = _broker.Options.Limits.MaxFrameBytes;
        var maxItems = _broker.Options.Limits.MaxListItems;
        var start = 0;
        long size = DeliverFrameOverhead;
        long counted = 0;
        for (var i = 0; i < deliveries.Count; i++)
        {
            var next = EncodedSizeBound(deliveries[i]);
            if (i > start && (size + next > limit || i - start >= maxItems))
            {
                if (!SendDeliverFrame(subscriptionId, deliveries, start, i, counted, null))
                {
                    _state.ReturnUnsent(deliveries, i, deliveries.Count);
                    return;
                }

                start = i;
                size = DeliverFrameOverhead;
                counted = 0;
            }

            size += next;
            counted += next;
        }

        SendDeliverFrame(subscriptionId, deliveries, start, deliveries.Count, counted, onWritten);
    }

    /// <summary>Sends deliveries <paramref name="from"/> to <paramref name="to"/> (exclusive) as one frame. The
    /// frame carrying <paramref name="onWritten"/> is the last: once it is written, every delivery was.</summary>
    private bool SendDeliverFrame(ulong subscriptionId, IReadOnlyList<Delivery> deliveries, int from, int to, long countedBytes,
        Action? onWritten)
    {
        void AfterWrite()
        {
            if (onWritten is not null)
            {
                foreach (var delivery in deliveries)
                {
                    _deliveries.TryRemove(delivery.DeliveryId, out _);
                }

                onWritten();
            }

            ReleasePendingDeliveries(countedBytes);
        }

        var frame = new DeliveredMessage[to - from];
        for (var i = from; i < to; i++)
        {
            frame[i - from] = deliveries[i].ToWire();
        }

        if (!_out.Send(new Deliver(subscriptionId, frame), onWritten: AfterWrite))
        {
            _state.ReturnUnsent(deliveries, from, to);
            ReleasePendingDeliveries(countedBytes);
            return false;
        }

        Volatile.Write(ref _lastSentMs, NowMs);
        if (_out.Pending > SlowReaderLimitBytes)
        {
            // Most of what it holds is still waiting in this buffer, unseen: returning it is not its failure.
            _endedByBroker = true;
            Abort($"the client is not reading: {_out.Pending} bytes are waiting to be sent");
            return false;
        }

        return true;
    }

    /// <summary>Uncounts deliveries written to the socket; when that makes room again, every subscription of
    /// the session is asked to deliver, since dispatch stopped for it while there was none.</summary>
    private void ReleasePendingDeliveries(long bytes)
    {
        var limit = _broker.Options.Limits.MaxPendingDeliveryBytes;
        var after = Interlocked.Add(ref _pendingDeliveryBytes, -bytes);
        if (after + bytes < limit || after >= limit)
        {
            return;
        }

        List<ServerSubscription> subscriptions;
        lock (_subscriptions)
        {
            subscriptions = [.. _subscriptions.Values];
        }

        foreach (var subscription in subscriptions)
        {
            subscription.KickPartitions();
        }
    }

    // The Deliver body around its messages: array header, subscription id (at most 9 bytes), list header.
    private const int DeliverFrameOverhead = 16;

    /// <summary>An upper bound of one delivered message's MessagePack size: eight integers of at most nine
    /// bytes each, the headers of the record, payload, content type and header map, and five bytes of
    /// string header per header key and value.</summary>
    private static long EncodedSizeBound(in Delivery delivery)
    {
        var body = delivery.Body;
        long size = 96 + body.Payload.Length;
        if (body.ContentType is { } contentType)
        {
            size += System.Text.Encoding.UTF8.GetByteCount(contentType);
        }

        if (body.Headers is { } headers)
        {
            foreach (var (key, value) in headers)
            {
                size += 10 + System.Text.Encoding.UTF8.GetByteCount(key) + System.Text.Encoding.UTF8.GetByteCount(value);
            }
        }

        return size;
    }

    // A reader this far behind is stuck; its deliveries are returned so others can have them.
    private const int SlowReaderLimitBytes = 256 << 20;
}
