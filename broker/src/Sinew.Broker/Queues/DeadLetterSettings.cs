// Where a queue's dead messages go, as its settings hold it.
namespace Sinew.Broker.Queues;

/// <summary>The kinds of dead-letter destination.</summary>
internal enum DeadLetterDestination : byte
{
    /// <summary>Dropped.</summary>
    Discard,

    /// <summary>To the broker's global dead-letter target (its own $dead-letters queue when none is set).</summary>
    Global,

    /// <summary>To a named queue.</summary>
    Queue,
}

/// <summary>Where a queue's dead messages go: discard, the global target, or a named queue. Resolved settings
/// name a valid queue when the kind is <see cref="DeadLetterDestination.Queue"/>; a declaration's may not yet.</summary>
internal sealed record DeadLetterSettings(DeadLetterDestination Kind, string? Topic = null, string? Group = null)
{
    public static readonly DeadLetterSettings Discard = new(DeadLetterDestination.Discard);

    public QueueName? TargetQueue => Kind == DeadLetterDestination.Queue ? new QueueName(Topic!, Group) : null;
}
