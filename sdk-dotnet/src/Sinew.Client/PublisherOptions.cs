// Settings of a Publisher.
namespace Sinew.Client;

/// <summary>Settings for <see cref="SinewClient.CreatePublisher"/>.</summary>
public sealed record PublisherOptions
{
    /// <summary>The queue's group; null, <c>""</c> and <c>"default"</c> mean no group (default: none).</summary>
    public string? Group { get; init; }

    /// <summary>A delivery delay, at most 3650 days, for messages that set neither <see cref="OutgoingMessage.Delay"/>
    /// nor <see cref="OutgoingMessage.NotBefore"/> (default: none).</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>A time to live, 1 ms to 3650 days, for messages that set no <see cref="OutgoingMessage.Ttl"/>
    /// (default: none; the queue's default applies).</summary>
    public TimeSpan? Ttl { get; init; }
}
