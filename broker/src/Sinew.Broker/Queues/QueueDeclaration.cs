// What a declare asks of a queue. Absent settings take the broker's defaults when the registry resolves the
// declaration into the queue's QueueSettings.
namespace Sinew.Broker.Queues;

/// <summary>The settings a declare asks for, unchecked; <see cref="QueueRegistry.Resolve"/> checks them.</summary>
/// <param name="Partitions">Partition count.</param>
/// <param name="DeadLetter">Where dead messages go.</param>
/// <param name="MaxRetries">Redeliveries allowed after the first delivery.</param>
/// <param name="DefaultTtlMs">TTL for messages published without one.</param>
/// <param name="LeaseMs">How long a delivery is held before it returns to ready.</param>
internal sealed record QueueDeclaration(
    uint? Partitions = null,
    DeadLetterSettings? DeadLetter = null,
    uint? MaxRetries = null,
    ulong? DefaultTtlMs = null,
    ulong? LeaseMs = null);
