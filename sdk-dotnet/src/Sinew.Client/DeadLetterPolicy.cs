// Where a queue's dead messages go.
namespace Sinew.Client;

/// <summary>The kinds of <see cref="DeadLetterPolicy"/>.</summary>
public enum DeadLetterKind
{
    /// <summary>Dead messages are dropped.</summary>
    Discard = 0,
    /// <summary>Dead messages go to the broker's global dead-letter target (dropped when none is set).</summary>
    Global = 1,
    /// <summary>Dead messages go to a named queue.</summary>
    Queue = 2,
}

/// <summary>Where messages go that exhausted their retries, were failed with <see cref="Delivery.FailAsync"/>,
/// or expired: <see cref="Discard"/>, <see cref="Global"/> or <see cref="ToQueue"/>.</summary>
public sealed record DeadLetterPolicy
{
    private DeadLetterPolicy(DeadLetterKind kind, string? topic, string? group)
    {
        Kind = kind;
        Topic = topic;
        Group = group;
    }

    /// <summary>Drop dead messages.</summary>
    public static DeadLetterPolicy Discard { get; } = new(DeadLetterKind.Discard, null, null);

    /// <summary>Send dead messages to the broker's global dead-letter target, an operator setting (dropped when
    /// none is set).</summary>
    public static DeadLetterPolicy Global { get; } = new(DeadLetterKind.Global, null, null);

    /// <summary>Send dead messages to the queue <paramref name="topic"/> in <paramref name="group"/>, with
    /// <c>sinew.dlq.*</c> headers saying where and why they died.</summary>
    /// <exception cref="InvalidArgumentException">The topic or group is not a valid name (checked here, as every
    /// Sinew client does, rather than when the queue is declared).</exception>
    public static DeadLetterPolicy ToQueue(string topic, string? group = null) => new(DeadLetterKind.Queue,
        Internal.Arguments.Name(topic, "DeadLetter.Topic", "dead-letter topic"), Internal.Arguments.Group(group, "DeadLetter.Group"));

    /// <summary>A queue policy as the broker reported it, taken as it is.</summary>
    internal static DeadLetterPolicy Reported(string topic, string? group) => new(DeadLetterKind.Queue, topic, group);

    /// <summary>Which kind of policy this is.</summary>
    public DeadLetterKind Kind { get; }

    /// <summary>The target queue's topic (<see cref="DeadLetterKind.Queue"/> only).</summary>
    public string? Topic { get; }

    /// <summary>The target queue's group (<see cref="DeadLetterKind.Queue"/> only); null for none.</summary>
    public string? Group { get; }
}
