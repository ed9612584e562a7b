// What the admin surface and the metrics see of a partition.
namespace Sinew.Broker.Queues;

/// <summary>A point-in-time view of a partition for metrics and the admin surface.</summary>
internal sealed record PartitionStats(
    uint Index,
    int Unsettled,
    int Ready,
    int Delayed,
    int Inflight,
    long NextOffset,
    int Consumers,
    string? Quarantine);
