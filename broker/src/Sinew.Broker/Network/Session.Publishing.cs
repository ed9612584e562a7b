// Declaring queues and publishing.
using Sinew.Broker.Queues;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Network;

internal sealed partial class Session
{
    private void HandleDeclareQueue(uint requestId, DeclareQueue declare)
    {
        var name = PublishValidator.QueueName(declare.Topic, declare.Group);
        var (slot, created) = _broker.Registry.Declare(name, declare);
        var queue = slot.Queue;
        var settings = queue.Settings;
        Send(new DeclareQueueOk(created, settings.Partitions, settings.DeadLetter.ToWire(), settings.MaxRetries, settings.DefaultTtlMs, settings.LeaseMs),
            requestId);
    }

    private void HandlePublish(FrameHeader header, Publish publish)
    {
        var queue = _broker.Registry.Get(PublishValidator.QueueName(publish.Topic, publish.Group));
        var now = NowMs;
        PublishValidator.Message(publish.Message, _broker.Options.Limits, now);
        var result = queue.Publish(publish.Message, now);
        if ((header.Flags & FrameFlags.Confirm) != 0)
        {
            var requestId = header.RequestId;
            var reply = new PublishOk([new PublishResult(result.Partition.Index, (ulong)result.Offset, result.Duplicate)]);
            result.Partition.WhenDurable(result.LsnEnd, () => Send(reply, requestId));
        }
    }

    private void HandlePublishBatch(FrameHeader header, PublishBatch batch)
    {
        var queue = _broker.Registry.Get(PublishValidator.QueueName(batch.Topic, batch.Group));
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

        var results = new PublishResult[batch.Messages.Count];
        var durableAt = new Dictionary<Partition, long>();
        for (var i = 0; i < results.Length; i++)
        {
            var result = queue.Publish(batch.Messages[i], now);
            results[i] = new PublishResult(result.Partition.Index, (ulong)result.Offset, result.Duplicate);
            durableAt[result.Partition] = Math.Max(durableAt.GetValueOrDefault(result.Partition), result.LsnEnd);
        }

        if ((header.Flags & FrameFlags.Confirm) == 0)
        {
            return;
        }

        // One confirmation once every partition the batch touched is durable.
        var requestId = header.RequestId;
        var remaining = durableAt.Count;
        foreach (var (partition, lsnEnd) in durableAt)
        {
            partition.WhenDurable(lsnEnd, () =>
            {
                if (Interlocked.Decrement(ref remaining) == 0)
                {
                    Send(new PublishOk(results), requestId);
                }
            });
        }
    }
}
