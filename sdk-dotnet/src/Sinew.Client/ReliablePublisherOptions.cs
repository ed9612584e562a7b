// Settings of a ReliablePublisher.
namespace Sinew.Client;

/// <summary>Settings for <see cref="SinewClient.CreateReliablePublisher"/>.</summary>
public sealed record ReliablePublisherOptions
{
    /// <summary>The queue's group; null, <c>""</c> and <c>"default"</c> mean no group (default: none).</summary>
    public string? Group { get; init; }

    /// <summary>The producer id stamped on every message, at most 64 bytes and a valid name (default: a random
    /// UUID per publisher). Reuse an id across restarts only together with <see cref="FirstSequence"/>: the broker
    /// drops a message whose producer id and sequence it has already stored.</summary>
    public string? ProducerId { get; init; }

    /// <summary>The sequence number of the first message; each message takes the next (default: 1).</summary>
    public ulong FirstSequence { get; init; } = 1;

    /// <summary>Attempts per message, the first included, before the last retryable failure is raised
    /// (default: 10).</summary>
    public int MaxAttempts { get; init; } = 10;

    /// <summary>The wait after the first failed attempt, doubling on each further failure (default: 100 ms).</summary>
    public TimeSpan InitialRetryDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between attempts (default: 5 s).</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A delivery delay, at most 3650 days, for messages that set none (default: none).</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>A time to live, 1 ms to 3650 days, for messages that set none (default: none).</summary>
    public TimeSpan? Ttl { get; init; }
}
