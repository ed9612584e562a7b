// Group commit: the flusher thread takes every partition that has appended since its last flush, makes
// them durable together, and only then takes the next batch. While it is busy with one batch, appends
// pile up behind it and share the next fsync. IScheduledPartitions have separate files, so the fsyncs of one batch
// run side by side, on the flusher thread and a few helper threads.
//
// The helpers are the flusher's own threads rather than the thread pool's: an fsync holds its thread for
// as long as the disk takes, and a slow disk must not starve the pool that serves connections and
// heartbeats.
using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Sinew.Broker.Diagnostics;

namespace Sinew.Broker.Engine;

/// <summary>The broker's flusher. Partitions enqueue themselves after appending; the flusher makes their
/// appends durable and lets them confirm and deliver.</summary>
internal sealed class Flusher : IDisposable
{
    private const int Helpers = 3;

    private readonly ConcurrentQueue<IScheduledPartition> _dirty = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Thread _thread;

    // The batch being flushed: partitions not yet taken, a wake-up for the helpers, and what is left to finish.
    private readonly ConcurrentQueue<IScheduledPartition> _batch = new();
    private readonly SemaphoreSlim _helperSignal = new(0);
    private readonly CountdownEvent _unfinished = new(0);
    private readonly Thread[] _helpers = new Thread[Helpers];

    private readonly BrokerMetrics _metrics;
    private readonly ILogger _logger;
    private volatile bool _stopping;
    private volatile bool _helpersStopping;

    public Flusher(BrokerMetrics metrics, ILogger logger)
    {
        _metrics = metrics;
        _logger = logger;
        for (var i = 0; i < Helpers; i++)
        {
            _helpers[i] = new Thread(Help) { IsBackground = true, Name = $"sinew-flusher-helper-{i}" };
            _helpers[i].Start();
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "sinew-flusher" };
        _thread.Start();
    }

    public void Enqueue(IScheduledPartition partition)
    {
        _dirty.Enqueue(partition);
        _signal.Release();
    }

    private void Flush(IScheduledPartition partition)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            partition.FlushNow();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.FlushFailed(e, partition.Index, partition.QueueName);
        }

        _metrics.FsyncSeconds.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    private void Run()
    {
        var taken = new List<IScheduledPartition>();
        while (true)
        {
            _signal.Wait();
            if (_stopping && _dirty.IsEmpty)
            {
                return;
            }

            taken.Clear();
            while (_dirty.TryDequeue(out var partition))
            {
                taken.Add(partition);
            }

            if (taken.Count == 1)
            {
                Flush(taken[0]);
            }
            else if (taken.Count > 1)
            {
                FlushTogether(taken);
            }
        }
    }

    private void FlushTogether(List<IScheduledPartition> partitions)
    {
        _unfinished.Reset(partitions.Count);
        foreach (var partition in partitions)
        {
            _batch.Enqueue(partition);
        }

        _helperSignal.Release(Math.Min(Helpers, partitions.Count - 1));
        TakeFromBatch();
        _unfinished.Wait();
    }

    private void TakeFromBatch()
    {
        while (_batch.TryDequeue(out var partition))
        {
            Flush(partition);
            _unfinished.Signal();
        }
    }

    private void Help()
    {
        while (true)
        {
            _helperSignal.Wait();
            if (_helpersStopping)
            {
                return;
            }

            TakeFromBatch();
        }
    }

    /// <summary>Flushes everything still pending and stops the threads.</summary>
    public void Dispose()
    {
        _stopping = true;
        _signal.Release();
        var stopped = _thread.Join(TimeSpan.FromSeconds(30));
        _helpersStopping = true;
        _helperSignal.Release(Helpers);
        foreach (var helper in _helpers)
        {
            stopped &= helper.Join(TimeSpan.FromSeconds(5));
        }

        if (stopped)
        {
            _signal.Dispose();
            _helperSignal.Dispose();
            _unfinished.Dispose();
        }
    }
}
