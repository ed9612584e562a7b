// Declaring queues and publishing, with the routing-version check that redirects a publish routed by a stale
// catalogue before anything is appended.
using System.Globalization;
using Sinew.Broker.Queues;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Network;

internal sealed partial class Session
{
    private void HandleDeclareQueue(uint requestId, DeclareQueue declare)
    {
        var name = QueueName.Parse(declare.Topic, declare.Group);
        var (slot, created) = _broker.Registry.Declare(name, declare.ToEngine());
        var queue = _broker.Registry.Load(slot);
        var settings = queue.Settings;
        SendReplyOfCatalogue(new DeclareQueueOk(created, settings.Partitions, settings.DeadLetter.ToWire(), settings.MaxRetries, settings.DefaultTtlMs,
            settings.LeaseMs), requestId);
    }

    /// <summary>The queue a publish goes to, after checking the routing version it was stamped with (spec 8.2): one
    /// older than the queue's means the client routed by a stale catalogue, and is answered redirect.</summary>
    private Queue RoutedQueue(string topic, string? group, ulong? routingVersion)
    {
        var slot = _broker.Registry.GetSlot(QueueName.Parse(topic, group));
        if (routingVersion is { } used && used < slot.RoutingVersion)
        {
            var current = slot.RoutingVersion.ToString(CultureInfo.InvariantCulture);
            throw new BrokerErrorException(ErrorCode.Redirect,
                $"routing version {used.ToString(CultureInfo.InvariantCulture)} of queue {slot.Name} is stale; current is {current}. Refresh the topology and retry",
                new Dictionary<string, string> { ["routing_version"] = current, ["endpoint"] = _broker.ProtocolEndpoint });
        }

        return _broker.Registry.Load(slot);
    }

    private void HandlePublish(FrameHeader header, Publish publish)
    {
        var queue = RoutedQueue(publish.Topic, publish.Group, publish.RoutingVersion);
        var now = NowMs;
        PublishValidator.Message(publish.Message, _broker.Options.Limits, now);
        _broker.Services.DiskSpace.ThrowIfLow();
        var result = queue.Publish(publish.Message.ToEngine(), now);
        if ((header.Flags & FrameFlags.Confirm) != 0)
        {
            var requestId = header.RequestId;
            var reply = new PublishOk([new PublishResult(result.Partition.Index, (ulong)result.Offset, result.Duplicate)]);
            result.Partition.WhenDurable(result.LsnEnd, failure => ReplyOrFail(reply, requestId, failure));
        }
    }

    private void HandlePublishBatch(FrameHeader header, PublishBatch batch)
    {
        var queue = RoutedQueue(batch.Topic, batch.Group, batch.RoutingVersion);
        var limit = _broker.Options.Limits.MaxBatchMessages;
        if (batch.Messages.Count == 0 || batch.Messages.Count > limit)
        {
            throw BrokerErrorException.Invalid("messages", $"a batch holds 1 to {limit} messages, not {batch.Messages.Count}");
        }

        // Validate everything first so an invalid message stores nothing.
        var now = NowMs;
        foreach (var message in batch.Messages)
        {
            PublishValidator.Message(message, _broker.Options.Limits, now);
        }

        _broker.Services.DiskSpace.ThrowIfLow();
        var results = new PublishResult[batch.Messages.Count];
        var durableAt = new Dictionary<Partition, long>();
        for (var i = 0; i < results.Length; i++)
        {
            var result = queue.Publish(batch.Messages[i].ToEngine(), now);
            results[i] = new PublishResult(result.Partition.Index, (ulong)result.Offset, result.Duplicate);
            durableAt[result.Partition] = Math.Max(durableAt.GetValueOrDefault(result.Partition), result.LsnEnd);
        }

        if ((header.Flags & FrameFlags.Confirm) == 0)
        {
            return;
        }

        // One confirmation once every partition the batch touched is durable.
        ReplyWhenDurable(header.RequestId, durableAt, () => new PublishOk(results));
    }

    /// <summary>Sends <paramref name="reply"/>, or the error of a write that failed before it was durable.</summary>
    private void ReplyOrFail(IWireMessage reply, uint requestId, BrokerErrorException? failure)
    {
        if (failure is null)
        {
            Send(reply, requestId);
        }
        else
        {
            SendError(requestId, failure.Code, failure.Message, failure.Details);
        }
    }

    /// <summary>Answers with the reply <paramref name="build"/> makes once every partition in
    /// <paramref name="durableAt"/> is durable up to its position; if any write fails first, answers with
    /// that error instead (once), since the request as a whole was not made durable.</summary>
    private void ReplyWhenDurable(uint requestId, Dictionary<Partition, long> durableAt, Func<IWireMessage> build)
    {
        var remaining = durableAt.Count;
        var failed = 0;
        foreach (var (partition, lsnEnd) in durableAt)
        {
            partition.WhenDurable(lsnEnd, failure =>
            {
                if (failure is not null)
                {
                    if (Interlocked.Exchange(ref failed, 1) == 0)
                    {
                        SendError(requestId, failure.Code, failure.Message, failure.Details);
                    }
                }
                else if (Interlocked.Decrement(ref remaining) == 0 && Volatile.Read(ref failed) == 0)
                {
                    Send(build(), requestId);
                }
            });
        }
    }
}
