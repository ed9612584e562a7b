// Every log message the broker writes, with a fixed event id each, in one table.
using Microsoft.Extensions.Logging;

namespace Sinew.Broker.Diagnostics;

internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Recovered partition {Partition} of queue {Queue}: {Unsettled} unsettled messages, next offset {NextOffset}, {TruncatedBytes} torn bytes truncated")]
    public static partial void PartitionRecovered(this ILogger logger, uint partition, QueueName queue, int unsettled, long nextOffset, long truncatedBytes);

    [LoggerMessage(1001, LogLevel.Error, "Partition {Partition} of queue {Queue} is quarantined: {Reason}")]
    public static partial void PartitionQuarantined(this ILogger logger, uint partition, QueueName queue, string reason);

    [LoggerMessage(1002, LogLevel.Error, "A timer of partition {Partition} of queue {Queue} failed")]
    public static partial void PartitionTimerFailed(this ILogger logger, Exception exception, uint partition, QueueName queue);

    [LoggerMessage(1022, LogLevel.Warning, "Partition {Partition} of queue {Queue}: truncated a torn tail of {Bytes} byte(s) at log position {Lsn}, written after the last fsync and never confirmed")]
    public static partial void TornTailTruncated(this ILogger logger, uint partition, QueueName queue, long bytes, long lsn);

    [LoggerMessage(1023, LogLevel.Warning, "Partition {Partition} of queue {Queue}: snapshot {Damaged} cannot be read; using {Used}")]
    public static partial void SnapshotUnreadable(this ILogger logger, uint partition, QueueName queue, string damaged, string used);

    [LoggerMessage(1024, LogLevel.Error, "The data directory's disk has {Free} bytes free, under storage.min_free_bytes = {Floor}: publishing is refused until space is freed")]
    public static partial void DiskLow(this ILogger logger, long free, long floor);

    [LoggerMessage(1025, LogLevel.Warning, "The data directory's disk has {Free} bytes free again (floor {Floor}): publishing resumes")]
    public static partial void DiskRecovered(this ILogger logger, long free, long floor);

    [LoggerMessage(1026, LogLevel.Warning, "Reading message {Offset} of partition {Partition} of queue {Queue} back from disk failed; it stays ready")]
    public static partial void BodyReadFailed(this ILogger logger, Exception exception, long offset, uint partition, QueueName queue);

    [LoggerMessage(1003, LogLevel.Information, "Wrote snapshot of partition {Partition} of queue {Queue} at log position {Lsn}; deleted {Segments} segment(s)")]
    public static partial void SnapshotWritten(this ILogger logger, uint partition, QueueName queue, long lsn, int segments);

    [LoggerMessage(1004, LogLevel.Warning, "Writing a snapshot of partition {Partition} of queue {Queue} failed")]
    public static partial void SnapshotFailed(this ILogger logger, Exception exception, uint partition, QueueName queue);

    [LoggerMessage(1005, LogLevel.Warning, "Partition {Partition} of queue {Queue} cannot send dead letters to {Target}; they stay in the queue, out of delivery, and are retried at most 5 s apart until the target takes them")]
    public static partial void DeadLettersStranded(this ILogger logger, Exception exception, uint partition, QueueName queue, QueueName target);

    [LoggerMessage(1027, LogLevel.Information, "Partition {Partition} of queue {Queue}: {Count} dead letter(s) reached {Target} after {Rounds} retry round(s)")]
    public static partial void DeadLettersUnstranded(this ILogger logger, uint partition, QueueName queue, QueueName target, int count, int rounds);

    [LoggerMessage(1028, LogLevel.Warning, "Queue {Queue} dead-lettered its first message since start (reason {Reason}); its dead letters go to queue {Target}")]
    public static partial void FirstDeadLetter(this ILogger logger, QueueName queue, string reason, QueueName target);

    [LoggerMessage(1029, LogLevel.Warning, "Queue {Queue} dead-lettered its first message since start (reason {Reason}); its dead-letter policy is discard, so its dead letters are dropped")]
    public static partial void FirstDeadLetterDiscarded(this ILogger logger, QueueName queue, string reason);

    [LoggerMessage(1030, LogLevel.Information, "Partition {Partition} of queue {Queue}: {Count} message(s) were leaving through the dead-letter policy when the broker stopped; sending them again")]
    public static partial void DeadLettersResumed(this ILogger logger, uint partition, QueueName queue, int count);

    [LoggerMessage(1031, LogLevel.Warning, "The broker's own queue {Queue} cannot be created or served: {Reason}. Dead letters bound for it stay in their queues, out of delivery, until it can")]
    public static partial void BrokerQueueUnavailable(this ILogger logger, QueueName queue, string reason);

    [LoggerMessage(1009, LogLevel.Error, "Flushing partition {Partition} of queue {Queue} failed")]
    public static partial void FlushFailed(this ILogger logger, Exception exception, uint partition, QueueName queue);

    [LoggerMessage(1020, LogLevel.Error, "Partition {Partition} of queue {Queue} cannot write its log and takes no writes until a retry succeeds; nothing past its durable end was confirmed")]
    public static partial void PartitionParked(this ILogger logger, Exception exception, uint partition, QueueName queue);

    [LoggerMessage(1021, LogLevel.Warning, "Partition {Partition} of queue {Queue} can write its log again and serves as before")]
    public static partial void PartitionResumed(this ILogger logger, uint partition, QueueName queue);

    [LoggerMessage(1007, LogLevel.Information, "Indexed {Count} queue(s) in {DataDir}")]
    public static partial void QueuesIndexed(this ILogger logger, int count, string dataDir);

    [LoggerMessage(1008, LogLevel.Information, "Declared queue {Queue} with {Partitions} partition(s)")]
    public static partial void QueueDeclared(this ILogger logger, QueueName queue, uint partitions);

    [LoggerMessage(1040, LogLevel.Warning, "Deleted queue {Queue} by an operator's request: {Subscriptions} subscription(s) ended, {Held} held delivery(ies) forgotten")]
    public static partial void QueueDeleted(this ILogger logger, QueueName queue, int subscriptions, int held);

    [LoggerMessage(1041, LogLevel.Warning, "Purged queue {Queue} by an operator's request: {Removed} ready or delayed message(s) removed")]
    public static partial void QueuePurged(this ILogger logger, QueueName queue, long removed);

    [LoggerMessage(1042, LogLevel.Warning, "Could not finish removing the deleted queue directory {Directory}: {Reason}; it is not served, and the next start tries again")]
    public static partial void DeletedQueueLeft(this ILogger logger, string directory, string reason);

    [LoggerMessage(1010, LogLevel.Error, "Queue directory {Directory} is quarantined: {File}: {Reason}. Its queue answers quarantined, and nothing in the directory is changed, until an operator repairs it and restarts the broker")]
    public static partial void QueueQuarantined(this ILogger logger, string directory, string file, string reason);

    [LoggerMessage(1011, LogLevel.Information, "Verifying {Queues} queue(s) with {Partitions} partition(s), {Parallelism} at a time")]
    public static partial void VerificationStarted(this ILogger logger, int queues, long partitions, int parallelism);

    [LoggerMessage(1012, LogLevel.Information, "Verified {Queues} of {TotalQueues} queue(s) and {Partitions} of {TotalPartitions} partition(s) in {ElapsedSeconds:F1} s")]
    public static partial void VerificationProgress(this ILogger logger, int queues, int totalQueues, long partitions, long totalPartitions, double elapsedSeconds);

    [LoggerMessage(1013, LogLevel.Information, "Verified every queue: {Queues} queue(s) and {Partitions} partition(s) in {ElapsedSeconds:F1} s; {QuarantinedQueues} queue(s) and {QuarantinedPartitions} partition(s) quarantined")]
    public static partial void VerificationComplete(this ILogger logger, int queues, long partitions, double elapsedSeconds, int quarantinedQueues, int quarantinedPartitions);

    [LoggerMessage(1014, LogLevel.Information, "Verification stopped by shutdown after {Queues} of {TotalQueues} queue(s) in {ElapsedSeconds:F1} s")]
    public static partial void VerificationStopped(this ILogger logger, int queues, int totalQueues, double elapsedSeconds);

    [LoggerMessage(2000, LogLevel.Debug, "Connection {ConnectionId} from {Remote} opened")]
    public static partial void ConnectionOpened(this ILogger logger, string connectionId, string? remote);

    [LoggerMessage(2001, LogLevel.Debug, "Connection {ConnectionId} closed: {Reason}")]
    public static partial void ConnectionClosed(this ILogger logger, string connectionId, string reason);

    [LoggerMessage(2002, LogLevel.Information, "Connection {ConnectionId} sent a bad frame: {Problem}")]
    public static partial void BadFrame(this ILogger logger, string connectionId, string problem);

    [LoggerMessage(2003, LogLevel.Warning, "Connection {ConnectionId} failed authentication as {Identity}")]
    public static partial void AuthenticationFailed(this ILogger logger, string connectionId, string identity);

    [LoggerMessage(2004, LogLevel.Error, "Connection {ConnectionId}: handling {Op} failed unexpectedly")]
    public static partial void RequestFailed(this ILogger logger, Exception exception, string connectionId, string op);

    [LoggerMessage(2005, LogLevel.Error, "Pushing the topology of generation {Generation} failed unexpectedly; the next change tries again")]
    public static partial void TopologyPushFailed(this ILogger logger, Exception exception, long generation);

    [LoggerMessage(2006, LogLevel.Debug, "Connection {ConnectionId} resumed session {SessionId}")]
    public static partial void SessionResumed(this ILogger logger, string connectionId, string sessionId);

    [LoggerMessage(2007, LogLevel.Debug, "Session {SessionId} ended after its reconnect grace window: {Reason}")]
    public static partial void DormantSessionEnded(this ILogger logger, string sessionId, string reason);

    [LoggerMessage(3000, LogLevel.Information, "Shutting down: closing {Connections} connection(s)")]
    public static partial void ShuttingDown(this ILogger logger, int connections);

    [LoggerMessage(3001, LogLevel.Information, "Shutdown complete: every partition flushed")]
    public static partial void ShutdownComplete(this ILogger logger);
}
