// A queue's effective settings: every value concrete, defaults resolved when it was declared.
namespace Sinew.Broker.Queues;

/// <summary>The settings of a declared queue.</summary>
internal sealed record QueueSettings(
    uint Partitions,
    DeadLetterSettings DeadLetter,
    uint MaxRetries,
    ulong? DefaultTtlMs,
    ulong LeaseMs);
