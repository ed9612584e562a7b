// A declared queue's effective settings.
namespace Sinew.Client;

/// <summary>A queue's effective settings, the broker's defaults resolved, as returned by
/// <see cref="SinewClient.DeclareQueueAsync"/>.</summary>
/// <param name="Topic">The queue's topic.</param>
/// <param name="Group">Its group; null for none.</param>
/// <param name="Created">True when this declaration created the queue.</param>
/// <param name="Partitions">The partition count.</param>
/// <param name="DeadLetter">Where dead messages go.</param>
/// <param name="MaxRetries">Redeliveries allowed after the first delivery.</param>
/// <param name="DefaultTtl">Time to live of messages published without one; null when they never expire.</param>
/// <param name="Lease">How long a delivery is held before it returns to the queue.</param>
public sealed record QueueInfo(
    string Topic,
    string? Group,
    bool Created,
    int Partitions,
    DeadLetterPolicy DeadLetter,
    int MaxRetries,
    TimeSpan? DefaultTtl,
    TimeSpan Lease);
