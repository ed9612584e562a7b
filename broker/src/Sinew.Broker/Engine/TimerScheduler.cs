// Wakes partitions when a delayed message, a lease or a TTL comes due.
using Microsoft.Extensions.Logging;
using Sinew.Broker.Diagnostics;

namespace Sinew.Broker.Engine;

/// <summary>One thread and one priority queue of wake-up times for every partition. A partition asks
/// to be woken at its earliest deadline; waking it more often than needed is harmless.</summary>
internal sealed class TimerScheduler : IDisposable
{
    private readonly object _lock = new();
    private readonly PriorityQueue<IScheduledPartition, long> _due = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Thread _thread;
    private bool _stopping;

    public TimerScheduler(TimeProvider time, ILogger logger)
    {
        _time = time;
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = "sinew-timers" };
        _thread.Start();
    }

    public void Schedule(IScheduledPartition partition, long dueMs)
    {
        lock (_lock)
        {
            var wasEarliest = !_due.TryPeek(out _, out var earliest) || dueMs < earliest;
            _due.Enqueue(partition, dueMs);
            if (wasEarliest)
            {
                Monitor.Pulse(_lock);
            }
        }
    }

    private void Run()
    {
        while (true)
        {
            IScheduledPartition partition;
            lock (_lock)
            {
                while (true)
                {
                    if (_stopping)
                    {
                        return;
                    }

                    if (!_due.TryPeek(out partition!, out var due))
                    {
                        Monitor.Wait(_lock);
                        continue;
                    }

                    var wait = due - _time.GetUtcNow().ToUnixTimeMilliseconds();
                    if (wait > 0)
                    {
                        Monitor.Wait(_lock, TimeSpan.FromMilliseconds(Math.Min(wait, 60_000)));
                        continue;
                    }

                    _due.Dequeue();
                    break;
                }
            }

            try
            {
                partition.OnTimer();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _logger.PartitionTimerFailed(e, partition.Index, partition.QueueName);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _stopping = true;
            Monitor.Pulse(_lock);
        }

        _thread.Join(TimeSpan.FromSeconds(10));
    }
}
