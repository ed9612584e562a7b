// What the admin surface and the metrics see of a partition.
namespace Sinew.Broker.Queues;

/// <summary>A point-in-time view of a partition for metrics and the admin surface. <see cref="Indexed"/> is how
/// many of the unsettled messages are held in memory; the rest wait in the log past the index window.
/// <see cref="DeadLettering"/> counts those out of delivery because their dead-letter copy is not durable yet.</summary>
internal sealed record PartitionStats(
    uint Index,
    int Unsettled,
    int Ready,
    int Delayed,
    int Inflight,
    long NextOffset,
    int Consumers,
    string? Quarantine,
    int Indexed,
    int DeadLettering);
