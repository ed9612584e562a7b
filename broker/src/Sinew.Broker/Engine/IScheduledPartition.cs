// A partition as the engine-wide machinery sees it. The flusher, the timer thread and the maintenance loop
// serve every partition of every queue; they know a partition only by this, so the machinery sits below the
// queues that use it.
namespace Sinew.Broker.Engine;

internal interface IScheduledPartition
{
    /// <summary>The queue the partition belongs to, for logs and the lists of troubled partitions.</summary>
    QueueName QueueName { get; }

    /// <summary>The partition's index in its queue.</summary>
    uint Index { get; }

    /// <summary>Writes and fsyncs what was appended, then lets it count (called by the <see cref="Flusher"/>).</summary>
    void FlushNow();

    /// <summary>Handles whatever deadline has come due (called by the <see cref="TimerScheduler"/>).</summary>
    void OnTimer();

    /// <summary>Writes a snapshot and drops the log it makes unnecessary (called by the <see cref="MaintenanceLoop"/>).</summary>
    Task WriteSnapshotAsync(CancellationToken cancellationToken);
}
