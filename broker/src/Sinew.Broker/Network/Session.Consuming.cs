// Subscribing, unsubscribing and settling deliveries.
using System.Text;
using Sinew.Broker.Queues;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Messages;
using Sinew.Protocol.Timing;

namespace Sinew.Broker.Network;

internal sealed partial class Session
{
    private const int MaxReasonBytes = 1024;

    private void HandleSubscribe(uint requestId, Subscribe subscribe)
    {
        if (subscribe.ConsumerGroup is not null)
        {
            throw new BrokerErrorException(ErrorCode.Invalid,
                "exclusive consumer groups are not supported by this broker version; subscribe without consumer_group",
                new Dictionary<string, string> { ["field"] = "consumer_group", ["reason"] = "not_supported" });
        }

        var subscription = OpenSubscription(subscribe.Topic, subscribe.Group, subscribe.Partition, subscribe.AckMode, subscribe.Prefetch);

        // SubscribeOk goes out before the first Deliver: the client needs the id to route deliveries.
        Send(new SubscribeOk(subscription.Id, subscription.Partitions.Select(p => p.Index).ToArray()), requestId);
        Attach(subscription);
    }

    /// <summary>Creates a subscription and adds it to the session, not yet attached to its partitions: the caller
    /// first tells the client its id.</summary>
    private ServerSubscription OpenSubscription(string topic, string? group, uint? partition, AckMode ackMode, uint prefetch)
    {
        // The one request that may name a queue the broker owns (its dead letters are there to be consumed).
        var queue = _broker.Registry.Get(QueueName.Parse(topic, group, brokerOwned: true));
        var maxPrefetch = _broker.Options.Limits.MaxPrefetch;
        if (prefetch < 1 || prefetch > maxPrefetch)
        {
            throw BrokerErrorException.Invalid("prefetch", $"prefetch must be 1 to {maxPrefetch}, not {prefetch}");
        }

        Partition[] partitions;
        if (partition is { } index)
        {
            if (index >= queue.Partitions.Length)
            {
                throw new BrokerErrorException(ErrorCode.NotFound,
                    $"queue {queue.Name} has {queue.Partitions.Length} partition(s); partition {index} does not exist", queue.ErrorDetails(index));
            }

            partitions = [queue.Partitions[index]];
        }
        else
        {
            partitions = queue.Partitions;
        }

        foreach (var p in partitions)
        {
            if (p.QuarantineReason is { } reason)
            {
                throw new BrokerErrorException(ErrorCode.Quarantined,
                    $"partition {p.Index} of queue {queue.Name} is quarantined: {reason}", queue.ErrorDetails(p.Index));
            }
        }

        lock (_subscriptions)
        {
            if (_subscriptions.Count >= _broker.Options.Limits.MaxSubscriptionsPerConnection)
            {
                throw new BrokerErrorException(ErrorCode.ResourceExhausted,
                    $"this connection already holds {_subscriptions.Count} subscriptions, the most allowed");
            }

            var subscription = new ServerSubscription(++_state.LastSubscriptionId, _state, queue, partitions, ackMode.ToEngine(), (int)prefetch)
            {
                NamedPartition = partition,
            };
            _subscriptions[subscription.Id] = subscription;
            return subscription;
        }
    }

    private static void Attach(ServerSubscription subscription)
    {
        foreach (var partition in subscription.Partitions)
        {
            partition.Attach(subscription);
        }
    }

    private void HandleUnsubscribe(uint requestId, Unsubscribe unsubscribe)
    {
        ServerSubscription? subscription;
        lock (_subscriptions)
        {
            _subscriptions.Remove(unsubscribe.SubscriptionId, out subscription);
        }

        if (subscription is null)
        {
            throw new BrokerErrorException(ErrorCode.NotFound, $"this session has no subscription {unsubscribe.SubscriptionId}");
        }

        subscription.Close();
        foreach (var partition in subscription.Partitions)
        {
            partition.Detach(subscription);
        }

        // Unsettled manual-ack deliveries go back to the queue, a failure for those the application was handed.
        // Auto-ack deliveries still tracked here are queued for the socket ahead of this answer: they settle once
        // written, and only a connection that dies before the write returns them.
        if (subscription.AckPolicy == AckPolicy.Manual)
        {
            var handedOut = HandedOut.Listed(unsubscribe.HandedOut);
            foreach (var (deliveryId, delivery) in _deliveries)
            {
                if (delivery.Subscription == subscription && _deliveries.TryRemove(deliveryId, out _))
                {
                    delivery.Partition.Return(delivery.Offset, deliveryId, handedOut.CountsFailure(deliveryId));
                }
            }
        }

        Send(Ok.Instance, requestId);
    }

    private void HandleAck(uint requestId, Ack ack)
    {
        if (ack.DeliveryIds.Count == 1)
        {
            HandleSingleAck(requestId, ack.DeliveryIds[0]);
            return;
        }

        var failures = new List<SettleFailure>();
        var byPartition = new Dictionary<Partition, List<(long Offset, long DeliveryId)>>();
        foreach (var id in ack.DeliveryIds)
        {
            if (_deliveries.TryRemove((long)id, out var delivery))
            {
                if (!byPartition.TryGetValue(delivery.Partition, out var items))
                {
                    byPartition[delivery.Partition] = items = [];
                }

                items.Add((delivery.Offset, (long)id));
            }
            else
            {
                failures.Add(new SettleFailure(id, (ushort)ErrorCode.StaleDelivery));
            }
        }

        var durableAt = new Dictionary<Partition, long>();
        var stale = new List<long>();
        foreach (var (partition, items) in byPartition)
        {
            try
            {
                stale.Clear();
                durableAt[partition] = partition.Ack(items, stale);
                foreach (var id in stale)
                {
                    failures.Add(new SettleFailure((ulong)id, (ushort)ErrorCode.StaleDelivery));
                }
            }
            catch (BrokerErrorException e)
            {
                failures.AddRange(items.Select(i => new SettleFailure((ulong)i.DeliveryId, (ushort)e.Code)));
            }
        }

        ReplyWhenDurable(requestId, durableAt, failures);
    }

    // A consumer acking every message sends one id per frame: no dictionaries needed.
    private void HandleSingleAck(uint requestId, ulong deliveryId)
    {
        long lsnEnd = -1;
        ushort failure = (ushort)ErrorCode.StaleDelivery;
        if (_deliveries.TryRemove((long)deliveryId, out var delivery))
        {
            try
            {
                lsnEnd = delivery.Partition.AckOne(delivery.Offset, (long)deliveryId);
            }
            catch (BrokerErrorException e)
            {
                failure = (ushort)e.Code;
            }
        }

        if (requestId == 0)
        {
            return;
        }

        if (lsnEnd < 0)
        {
            Send(new SettleOk([new SettleFailure(deliveryId, failure)]), requestId);
        }
        else
        {
            delivery.Partition.WhenDurable(lsnEnd, failure => ReplyOrFail(new SettleOk([]), requestId, failure));
        }
    }

    private void HandleNack(uint requestId, Nack nack)
    {
        // Check every item before acting on any, so an invalid frame changes nothing.
        var now = NowMs;
        foreach (var item in nack.Items)
        {
            if (!item.Requeue && (item.NotBeforeMs is not null || item.DelayMs is not null))
            {
                throw BrokerErrorException.Invalid("items", "a delay only applies to a retry (requeue = true)");
            }

            if (item.NotBeforeMs is not null && item.DelayMs is not null)
            {
                throw BrokerErrorException.Invalid("items", "give not_before_ms or delay_ms, not both");
            }

            if (item.Reason is { } reason && Encoding.UTF8.GetByteCount(reason) > MaxReasonBytes)
            {
                throw BrokerErrorException.Invalid("items", $"a nack reason is at most {MaxReasonBytes} bytes");
            }

            DurationValidator.Check(DurationField.NackDelay, item.DelayMs, now);
            DurationValidator.Check(DurationField.NackNotBefore, item.NotBeforeMs, now);
        }

        var failures = new List<SettleFailure>();
        var durableAt = new Dictionary<Partition, long>();
        foreach (var item in nack.Items)
        {
            if (!_deliveries.TryRemove((long)item.DeliveryId, out var delivery))
            {
                failures.Add(new SettleFailure(item.DeliveryId, (ushort)ErrorCode.StaleDelivery));
                continue;
            }

            var notBefore = item.NotBeforeMs is { } at ? DurationRules.Time(at) : item.DelayMs is { } delay ? DurationRules.Deadline(now, delay) : 0;
            try
            {
                if (delivery.Partition.Nack(delivery.Offset, (long)item.DeliveryId, item.Requeue, notBefore, item.Reason, out var lsnEnd) is { } code)
                {
                    failures.Add(new SettleFailure(item.DeliveryId, (ushort)code));
                }
                else
                {
                    durableAt[delivery.Partition] = Math.Max(durableAt.GetValueOrDefault(delivery.Partition), lsnEnd);
                }
            }
            catch (BrokerErrorException e)
            {
                failures.Add(new SettleFailure(item.DeliveryId, (ushort)e.Code));
            }
        }

        ReplyWhenDurable(requestId, durableAt, failures);
    }

    private void HandleExtendLease(uint requestId, ExtendLease extend)
    {
        // Check every item before extending any, so an invalid frame changes nothing.
        foreach (var item in extend.Items)
        {
            DurationValidator.Check(DurationField.LeaseExtension, item.ExtendMs, 0);
        }

        var failures = new List<SettleFailure>();
        foreach (var item in extend.Items)
        {
            if (!_deliveries.TryGetValue((long)item.DeliveryId, out var delivery))
            {
                failures.Add(new SettleFailure(item.DeliveryId, (ushort)ErrorCode.StaleDelivery));
                continue;
            }

            try
            {
                if (delivery.Partition.ExtendLease(delivery.Offset, (long)item.DeliveryId, item.ExtendMs) is { } code)
                {
                    failures.Add(new SettleFailure(item.DeliveryId, (ushort)code));
                }
            }
            catch (BrokerErrorException e)
            {
                failures.Add(new SettleFailure(item.DeliveryId, (ushort)e.Code));
            }
        }

        if (requestId != 0)
        {
            Send(new SettleOk(failures), requestId);
        }
    }

    /// <summary>Answers a settlement with SettleOk once every partition it touched is durable; request id 0
    /// asks for no answer.</summary>
    private void ReplyWhenDurable(uint requestId, Dictionary<Partition, long> durableAt, List<SettleFailure> failures)
    {
        if (requestId == 0)
        {
            return;
        }

        if (durableAt.Count == 0)
        {
            Send(new SettleOk(failures), requestId);
            return;
        }

        ReplyWhenDurable(requestId, durableAt, () => new SettleOk(failures));
    }
}
