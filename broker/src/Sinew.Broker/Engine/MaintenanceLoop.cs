// Background housekeeping: writes partition snapshots when enough log has accumulated since the last
// one, which bounds recovery time and lets fully settled segments be deleted.
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Sinew.Broker.Configuration;
using Sinew.Broker.Diagnostics;

namespace Sinew.Broker.Engine;

internal sealed class MaintenanceLoop : IDisposable
{
    private readonly Channel<IScheduledPartition> _requests = Channel.CreateBounded<IScheduledPartition>(
        new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly HashSet<IScheduledPartition> _queued = [];
    private readonly StorageOptions _storage;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _stopRequested;

    public MaintenanceLoop(StorageOptions storage, ILogger logger)
    {
        _storage = storage;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Queues a snapshot of <paramref name="partition"/> when enough log has been written since
    /// its last one.</summary>
    public void MaybeSnapshot(IScheduledPartition partition, long bytesSinceSnapshot)
    {
        if (bytesSinceSnapshot < _storage.SnapshotIntervalBytes)
        {
            return;
        }

        lock (_queued)
        {
            if (!_queued.Add(partition))
            {
                return;
            }
        }

        if (!_requests.Writer.TryWrite(partition))
        {
            lock (_queued)
            {
                _queued.Remove(partition);
            }
        }
    }

    private async Task RunAsync()
    {
        try
        {
            await foreach (var partition in _requests.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                lock (_queued)
                {
                    _queued.Remove(partition);
                }

                try
                {
                    await partition.WriteSnapshotAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    _logger.SnapshotFailed(e, partition.Index, partition.QueueName);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Stops taking snapshots and waits (a bounded time) for the one in progress to end, so that
    /// shutdown can take each partition's last snapshot itself.</summary>
    public async Task StopAsync()
    {
        RequestStop();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A snapshot stuck on the disk: shutdown goes on, and the partition's own snapshot waits for it.
        }
    }

    private void RequestStop()
    {
        if (Interlocked.Exchange(ref _stopRequested, 1) == 0)
        {
            _stop.Cancel();
            _requests.Writer.TryComplete();
        }
    }

    public void Dispose()
    {
        RequestStop();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }
}
