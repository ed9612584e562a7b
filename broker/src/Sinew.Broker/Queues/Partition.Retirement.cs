// Retirement: the partition of a deleted queue stops serving for good. It refuses appends and settlements the way a
// quarantined partition does, its consumers are handed back to be told, and its log is closed so that the queue's
// files can be removed.
using Sinew.Protocol.Errors;

namespace Sinew.Broker.Queues;

internal sealed partial class Partition
{
    private BrokerErrorException? _retired;

    /// <summary>The messages consumers hold now (delivered, not yet settled).</summary>
    public int Held
    {
        get
        {
            lock (_lock)
            {
                return _inflight;
            }
        }
    }

    /// <summary>Stops the partition for good and returns the subscriptions that read it. Every request that reaches it
    /// later is refused; timers, dispatch and snapshots find it stopped and do nothing. Call with no partition lock held.</summary>
    public IReadOnlyList<ServerSubscription> Retire()
    {
        List<ServerSubscription> consumers;
        List<Action<BrokerErrorException?>> waiting = [];
        var gone = new BrokerErrorException(ErrorCode.NotFound, $"queue {Queue.Name} was deleted", Queue.ErrorDetails());
        lock (_lock)
        {
            _retired = gone;
            // Not through QuarantineLocked: a deleted queue is not damaged, and readiness must not report it. Every
            // path that stops for a quarantine stops for this too.
            _quarantine ??= gone.Message;
            consumers = [.. _consumers];
            _consumers.Clear();
            // The bodies held in memory count against the broker-wide resident budget: give their room back.
            foreach (var entry in _messages.Values)
            {
                DropBodyLocked(entry);
            }

            _messages.Clear();
            _ready.Clear();
            // Publishes and settlements waiting for their records to be durable are answered now: they never will be.
            _durability.Fail(gone, waiting);
        }

        foreach (var callback in waiting)
        {
            callback(gone);
        }

        // Nothing more is written: what was appended and not flushed belonged to the deleted queue.
        lock (_flushLock)
        {
            _log.Dispose();
        }

        _services.Forget(this);
        return consumers;
    }
}
