// Moves dead messages into their target queue: builds the copy with its sinew.dlq.* metadata, publishes
// it, and reports back once the copy is durable so the source can drop the original.
using System.Globalization;
using Sinew.Broker.Diagnostics;
using Sinew.Broker.Engine;
using Sinew.Broker.Storage;

namespace Sinew.Broker.Queues;

internal sealed class DeadLetterRouter(QueueRegistry registry, RuntimeState runtime, BrokerServices services)
{
    private const int MaxAttempts = 10;

    public RuntimeState Runtime { get; } = runtime;

    /// <summary>Where dead messages of <paramref name="queue"/> go, or null to drop them.</summary>
    public QueueName? TargetFor(Queue queue)
    {
        var target = queue.Settings.DeadLetter.Kind switch
        {
            DeadLetterDestination.Queue => queue.Settings.DeadLetter.TargetQueue,
            DeadLetterDestination.Global => Runtime.GlobalDeadLetterTarget,
            _ => null,
        };

        // A queue cannot be its own dead-letter queue: that would loop forever.
        return target == queue.Name ? null : target;
    }

    /// <summary>Publishes <paramref name="copy"/> to <paramref name="target"/> and runs
    /// <paramref name="onDurable"/> once it is durable. Retries a bounded number of times; if every attempt
    /// fails the original simply stays in its queue (it is redelivered after a restart), so nothing is lost.</summary>
    public void Publish(QueueName target, MessageBody copy, Action onDurable) => _ = PublishAsync(target, copy, onDurable);

    private async Task PublishAsync(QueueName target, MessageBody copy, Action onDurable)
    {
        var source = new QueueName(copy.Headers![Headers.SourceTopic], copy.Headers.GetValueOrDefault(Headers.SourceGroup));
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            try
            {
                var queue = registry.GetOrDeclareTarget(target);
                var result = queue.Publish(new IncomingMessage(copy), services.NowMs);
                await result.Partition.WhenDurableAsync(result.LsnEnd).ConfigureAwait(false);
                onDurable();
                return;
            }
            catch (Exception e) when (e is BrokerErrorException or IOException or InvalidDataException)
            {
                services.Logger.DeadLetterRetry(e, source, target, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100 * (1 << attempt), 10_000))).ConfigureAwait(false);
            }
        }

        services.Logger.DeadLetterGaveUp(source, target);
    }

    /// <summary>The copy placed in the dead-letter queue: the original payload, content type and headers,
    /// plus reserved metadata saying where it came from and why.</summary>
    public static MessageBody CopyFor(QueueName source, uint partition, MessageEntry entry, MessageBody body, DeadLetterReason reason,
        string? error, long nowMs)
    {
        var headers = body.Headers is null
            ? new Dictionary<string, string>(StringComparer.Ordinal)
            : new Dictionary<string, string>(body.Headers, StringComparer.Ordinal);
        headers[Headers.Reason] = reason.WireName();
        headers[Headers.SourceTopic] = source.Topic;
        if (source.Group is { } group)
        {
            headers[Headers.SourceGroup] = group;
        }
        else
        {
            headers.Remove(Headers.SourceGroup);
        }

        headers[Headers.SourcePartition] = partition.ToString(CultureInfo.InvariantCulture);
        headers[Headers.SourceOffset] = entry.Offset.ToString(CultureInfo.InvariantCulture);
        headers[Headers.Attempts] = entry.DeliveryCount.ToString(CultureInfo.InvariantCulture);
        headers[Headers.Failures] = entry.Failures.ToString(CultureInfo.InvariantCulture);
        headers[Headers.DeadLetteredAt] = nowMs.ToString(CultureInfo.InvariantCulture);
        if (error is not null)
        {
            headers[Headers.Error] = error;
        }
        else
        {
            headers.Remove(Headers.Error);
        }

        return new MessageBody(body.Payload, body.ContentType, headers);
    }

    /// <summary>The reserved headers on dead-lettered copies (specification section 7.3).</summary>
    public static class Headers
    {
        public const string Reason = "sinew.dlq.reason";
        public const string SourceTopic = "sinew.dlq.source_topic";
        public const string SourceGroup = "sinew.dlq.source_group";
        public const string SourcePartition = "sinew.dlq.source_partition";
        public const string SourceOffset = "sinew.dlq.source_offset";
        public const string Attempts = "sinew.dlq.attempts";
        public const string Failures = "sinew.dlq.failures";
        public const string DeadLetteredAt = "sinew.dlq.dead_lettered_at_ms";
        public const string Error = "sinew.dlq.error";
    }
}
