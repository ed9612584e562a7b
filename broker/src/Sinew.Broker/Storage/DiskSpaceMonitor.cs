// Watches free space on the data directory's file system. Below the configured floor, publishing is
// refused with resource_exhausted while everything else (deliveries, settlements, snapshots, which
// free space) goes on, so the broker never has to discover a full disk through a failed write.
using Microsoft.Extensions.Logging;
using Sinew.Broker.Diagnostics;
using Sinew.Protocol.Errors;

namespace Sinew.Broker.Storage;

internal sealed class DiskSpaceMonitor : IDisposable
{
    private readonly string _directory;
    private readonly long _minFreeBytes;
    private readonly TimeSpan _interval;
    private readonly BrokerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _freeBytes = long.MaxValue;
    private volatile bool _low;

    public DiskSpaceMonitor(string directory, long minFreeBytes, TimeSpan interval, BrokerMetrics metrics, ILogger logger)
    {
        _directory = directory;
        _minFreeBytes = minFreeBytes;
        _interval = interval;
        _metrics = metrics;
        _logger = logger;
        Measure();
        _loop = minFreeBytes > 0 ? Task.Run(RunAsync) : Task.CompletedTask;
    }

    /// <summary>Free bytes at the last measurement.</summary>
    public long FreeBytes => Interlocked.Read(ref _freeBytes);

    /// <summary>What is wrong while free space is under the floor, for errors and readiness; null otherwise.</summary>
    public string? LowReason => _low
        ? $"the broker's disk is nearly full ({FreeBytes} bytes free, under storage.min_free_bytes = {_minFreeBytes}); "
          + "publishing is refused until space is freed, consumers can keep draining"
        : null;

    /// <summary>Refuses a publish while free space is under the floor.</summary>
    public void ThrowIfLow()
    {
        if (LowReason is { } reason)
        {
            throw new BrokerErrorException(ErrorCode.ResourceExhausted, reason, new Dictionary<string, string> { ["reason"] = "disk_low" });
        }
    }

    private async Task RunAsync()
    {
        try
        {
            while (true)
            {
                await Task.Delay(_interval, _stop.Token).ConfigureAwait(false);
                Measure();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private void Measure()
    {
        long free;
        try
        {
            free = new DriveInfo(Path.GetFullPath(_directory)).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // Unmeasurable (an unusual file system): keep the last verdict rather than guess.
            return;
        }

        Interlocked.Exchange(ref _freeBytes, free);
        _metrics.DiskFreeBytes.Set(free);
        var low = _minFreeBytes > 0 && free < _minFreeBytes;
        if (low != _low)
        {
            _low = low;
            _metrics.DiskLow.Set(low ? 1 : 0);
            if (low)
            {
                _logger.DiskLow(free, _minFreeBytes);
            }
            else
            {
                _logger.DiskRecovered(free, _minFreeBytes);
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }
}
