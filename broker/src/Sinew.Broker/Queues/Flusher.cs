// Group commit: one thread writes and fsyncs the partitions that have appended since their last flush.
// While it is busy with one batch, appends pile up behind it and share the next fsync.
using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Sinew.Broker.Queues;

/// <summary>The broker's flusher. Partitions enqueue themselves after appending; the flusher thread makes
/// their appends durable and lets them confirm and deliver.</summary>
internal sealed class Flusher : IDisposable
{
    private readonly ConcurrentQueue<Partition> _dirty = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Thread _thread;
    private readonly Diagnostics.BrokerMetrics _metrics;
    private readonly ILogger _logger;
    private volatile bool _stopping;

    public Flusher(Diagnostics.BrokerMetrics metrics, ILogger logger)
    {
        _metrics = metrics;
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = "sinew-flusher" };
        _thread.Start();
    }

    public void Enqueue(Partition partition)
    {
        _dirty.Enqueue(partition);
        _signal.Release();
    }

    private const int MaxParallelFlushes = 8;

    private void Flush(Partition partition)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            partition.FlushNow();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.FlushFailed(e, partition.Index, partition.Queue.Name);
        }

        _metrics.FsyncSeconds.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    private void Run()
    {
        var batch = new List<Partition>();
        while (true)
        {
            _signal.Wait();
            if (_stopping && _dirty.IsEmpty)
            {
                return;
            }

            batch.Clear();
            while (_dirty.TryDequeue(out var partition))
            {
                batch.Add(partition);
            }

            // Partitions have separate files, so their writes and fsyncs overlap instead of queueing.
            if (batch.Count == 1)
            {
                Flush(batch[0]);
            }
            else if (batch.Count > 1)
            {
                Parallel.ForEach(batch, new ParallelOptions { MaxDegreeOfParallelism = MaxParallelFlushes }, Flush);
            }
        }
    }

    /// <summary>Flushes everything still pending and stops the thread.</summary>
    public void Dispose()
    {
        _stopping = true;
        _signal.Release();
        _thread.Join(TimeSpan.FromSeconds(30));
        _signal.Dispose();
    }
}
