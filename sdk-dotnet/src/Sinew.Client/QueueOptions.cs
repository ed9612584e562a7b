// Settings for declaring a queue.
namespace Sinew.Client;

/// <summary>Settings for <see cref="SinewClient.DeclareQueueAsync"/>. A setting left null takes the broker's
/// default; declaring an existing queue with settings that resolve differently fails with <c>conflict</c>.</summary>
public sealed record QueueOptions
{
    /// <summary>The queue's group, a namespace: <c>orders</c> in <c>eu</c> and <c>orders</c> in <c>us</c> are two
    /// queues. Null, <c>""</c> and <c>"default"</c> all mean no group (default: none).</summary>
    public string? Group { get; init; }

    /// <summary>The partition count, at least 1, fixed when the queue is created (default: the broker's, 1).</summary>
    public int? Partitions { get; init; }

    /// <summary>Where dead messages go (default: the broker's policy).</summary>
    public DeadLetterPolicy? DeadLetter { get; init; }

    /// <summary>Redeliveries allowed after the first delivery before a message is dead-lettered
    /// (default: the broker's).</summary>
    public int? MaxRetries { get; init; }

    /// <summary>Time to live of messages published without one, 1 ms to 3650 days (default: the broker's; messages
    /// never expire).</summary>
    public TimeSpan? DefaultTtl { get; init; }

    /// <summary>How long a delivery is held before it returns to the queue unless settled or extended, 100 ms to
    /// 12 hours (default: the broker's).</summary>
    public TimeSpan? Lease { get; init; }
}
