// The registry's counts for readiness and metrics.
namespace Sinew.Broker.Queues;

/// <summary>How many queues and partitions the broker knows, and how many of them are verified (recovered
/// and checked since start) or quarantined as a whole queue.</summary>
internal readonly record struct QueueCensus(
    int Queues,
    int QueuesVerified,
    int QueuesUnverified,
    int QueuesQuarantined,
    long Partitions,
    long PartitionsVerified,
    long PartitionsUnverified);
