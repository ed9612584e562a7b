// A queue's effective settings, and the defaults absent settings resolve to.
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Queues;

/// <summary>Where a queue's dead messages go, resolved: discard, the global target, or a named queue.</summary>
internal sealed record DeadLetterSettings(DeadLetterKind Kind, string? Topic = null, string? Group = null)
{
    public static readonly DeadLetterSettings Discard = new(DeadLetterKind.Discard);

    public DeadLetterPolicy ToWire() => new(Kind, Topic, Group);

    public QueueName? TargetQueue => Kind == DeadLetterKind.Queue ? new QueueName(Topic!, Group) : null;
}

/// <summary>The settings of a declared queue. Every value is concrete: defaults are resolved on declare.</summary>
internal sealed record QueueSettings(
    uint Partitions,
    DeadLetterSettings DeadLetter,
    uint MaxRetries,
    ulong? DefaultTtlMs,
    ulong LeaseMs);
