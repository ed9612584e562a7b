// Parking after a failed write or fsync: the partition takes no writes and delivers nothing, every waiter
// fails, deadlines are frozen, and the flush is retried with backoff until it succeeds
// (Partition.Durability.cs resumes it).
using Sinew.Broker.Storage;
using Sinew.Protocol.Errors;

namespace Sinew.Broker.Queues;

internal sealed partial class Partition
{
    private long _flushRetryAtMs;
    private long _flushRetryDelayMs;

    /// <summary>Why the partition's log cannot be written at the moment, or null when it can.</summary>
    public string? ParkedReason => _durability.Failure?.Message;

    /// <summary>Stops taking writes after a failed flush: fails every durability waiter, and schedules a
    /// retry with backoff (50 ms doubling to 5 s, for as long as it takes: the partition cannot serve
    /// writes until its log can be written, and an operator fixing the disk should not need a restart).</summary>
    private void Park(Exception failure)
    {
        var outOfSpace = StorageFailure.IsOutOfSpace(failure);
        var error = new BrokerErrorException(
            outOfSpace ? ErrorCode.ResourceExhausted : ErrorCode.Unavailable,
            outOfSpace
                ? $"partition {Index} of queue {Queue.Name} cannot write its log: the disk is full ({failure.Message}); writing resumes when space is freed"
                : $"partition {Index} of queue {Queue.Name} cannot write its log: {failure.Message}; it retries by itself",
            Queue.ErrorDetails(Index));
        List<Action<BrokerErrorException?>> failed = [];
        bool first;
        lock (_lock)
        {
            first = _durability.Fail(error, failed);
            _flushRetryDelayMs = Math.Clamp(_flushRetryDelayMs * 2, 50, 5000);
            _flushRetryAtMs = NowMs + _flushRetryDelayMs;
            ScheduleTimerLocked(_flushRetryAtMs);
        }

        _services.Metrics.WriteFailures.Inc();
        if (first)
        {
            _services.Parked(this, error.Message, failure);
        }

        foreach (var callback in failed)
        {
            callback(error);
        }
    }

    /// <summary>Called once a flush succeeds after a failure: the backoff starts over, and deadlines that
    /// passed while parked are handled now.</summary>
    private void ResumeLocked()
    {
        _flushRetryDelayMs = 0;
        _timerDueMs = long.MaxValue;
        ScheduleTimerLocked(NowMs);
    }

    /// <summary>Refuses writes while quarantined or parked, with the typed error that says which.</summary>
    private void ThrowIfNotWritable()
    {
        ThrowIfQuarantined();
        if (_durability.Failure is { } parked)
        {
            throw parked;
        }
    }
}
