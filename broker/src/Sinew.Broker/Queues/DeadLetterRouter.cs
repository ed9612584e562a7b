// Moves dead messages into their target queue: says where a queue's dead letters go, builds the copy with its
// sinew.dlq.* metadata, publishes it under an idempotency key made of where it came from, and reports whether it is
// durable. A copy that cannot be sent is not given up on: its partition keeps the original out of delivery and
// tries again (Partition.DeadLetters.cs), with the backoff set here, until the broker stops.
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Sinew.Broker.Engine;
using Sinew.Broker.Storage;
using Sinew.Protocol.Errors;

namespace Sinew.Broker.Queues;

[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001",
    Justification = "The only disposable field is a CancellationTokenSource that is only ever cancelled (no timer, no linked token); it holds nothing to release.")]
internal sealed class DeadLetterRouter(QueueRegistry registry, RuntimeState runtime, BrokerServices services)
{
    /// <summary>The wait before the first retry of a copy that could not be sent; it doubles with each failed round
    /// up to <see cref="MaxRetryDelay"/>. There is no last retry: a dead letter is retried for as long as the
    /// broker runs (and routed again after a restart), because giving up would mean dropping or stranding it.</summary>
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest wait between two retries of a copy that cannot be sent.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    // How long one attempt waits for its copy to become durable before it counts as failed. Not an error in itself:
    // the retry publishes under the same idempotency key, finds the copy already appended and waits for it again.
    private static readonly TimeSpan DurableWaitLimit = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _stopping = new();

    public RuntimeState Runtime { get; } = runtime;

    /// <summary>Cancelled when the broker stops: retries end, and the originals wait in their queues for the restart.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Where dead messages of <paramref name="queue"/> go; null only for the <c>discard</c> policy, the one
    /// policy that drops them.</summary>
    public QueueName? TargetFor(Queue queue)
    {
        // The broker's own queue is never a source: its policy is discard, and even a hand-edited file must not make
        // it send copies to itself.
        if (queue.Name.IsBrokerOwned)
        {
            return null;
        }

        var target = queue.Settings.DeadLetter.Kind switch
        {
            DeadLetterDestination.Queue => queue.Settings.DeadLetter.TargetQueue,
            DeadLetterDestination.Global => Runtime.GlobalDeadLetterTarget ?? QueueName.DeadLetters,
            _ => null,
        };

        // A queue cannot be its own dead-letter queue (every copy would come straight back), and dropping would lose
        // what the policy asked to keep: such dead letters go to the broker's own queue.
        return target == queue.Name ? QueueName.DeadLetters : target;
    }

    /// <summary>Stops every retry (at shutdown, before the queues close).</summary>
    public void Stop() => _stopping.Cancel();

    /// <summary>Publishes <paramref name="letter"/>'s copy to <paramref name="target"/> and waits until it is durable.
    /// The append happens before the first await, on the caller's thread. Sending the same letter again stores
    /// it once: the copy carries its source partition and offset as its idempotency key.</summary>
    /// <returns>Null once the copy is durable; otherwise why it is not (the caller retries).</returns>
    public async Task<Exception?> SendAsync(QueueName target, DeadLetterCopy letter)
    {
        try
        {
            var queue = registry.GetOrDeclareTarget(target);
            var result = queue.Publish(letter.Message, services.NowMs);
            if (result.Partition.QuarantineReason is { } quarantined)
            {
                // Found by its key in a partition that has since been quarantined: it may never become durable there.
                throw new BrokerErrorException(ErrorCode.Quarantined,
                    $"partition {result.Partition.Index} of queue {queue.Name} is quarantined: {quarantined}", queue.ErrorDetails(result.Partition.Index));
            }

            await result.Partition.WhenDurableAsync(result.LsnEnd).WaitAsync(DurableWaitLimit, Stopping).ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (e is BrokerErrorException or IOException or InvalidDataException or UnauthorizedAccessException
                                      or TimeoutException or OperationCanceledException)
        {
            return e;
        }
    }

    /// <summary>The idempotency key's producer part for copies made from partition <paramref name="partition"/> of
    /// <paramref name="source"/>; the sequence is the original's offset. Clients cannot use it: producer ids
    /// starting with <c>$</c> are reserved for the broker.</summary>
    public static string ProducerIdFor(QueueName source, uint partition)
    {
        var exact = Encoding.UTF8.GetBytes(source.Topic + "\n" + (source.Group ?? ""));
        return $"$dlq:{Convert.ToHexStringLower(SHA256.HashData(exact).AsSpan(0, 12))}:{partition.ToString(CultureInfo.InvariantCulture)}";
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
