// The shared machinery every queue and partition uses: clock, flusher, timers, maintenance,
// dead-letter routing, metrics, logging and the quarantine list.
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Sinew.Broker.Configuration;
using Sinew.Broker.Diagnostics;

namespace Sinew.Broker.Queues;

internal sealed class BrokerServices : IDisposable
{
    private readonly ConcurrentDictionary<(QueueName Queue, uint Partition), string> _quarantined = new();
    private readonly ConcurrentDictionary<(QueueName Queue, uint Partition), string> _parked = new();

    public BrokerServices(BrokerOptions options, TimeProvider time, BrokerMetrics metrics, ILogger logger)
    {
        Options = options;
        Time = time;
        Metrics = metrics;
        Logger = logger;
        Flusher = new Flusher(metrics, logger);
        Timers = new TimerScheduler(time);
        Maintenance = new MaintenanceLoop(this);
        DiskSpace = new Storage.DiskSpaceMonitor(options.Storage.DataDir, options.Storage.MinFreeBytes,
            TimeSpan.FromMilliseconds(options.Storage.DiskCheckIntervalMs), metrics, logger);
    }

    public BrokerOptions Options { get; }

    public TimeProvider Time { get; }

    public BrokerMetrics Metrics { get; }

    public ILogger Logger { get; }

    public Flusher Flusher { get; }

    public TimerScheduler Timers { get; }

    public MaintenanceLoop Maintenance { get; }

    /// <summary>Free space on the data directory's file system, and whether publishing must stop.</summary>
    public Storage.DiskSpaceMonitor DiskSpace { get; }

    public DeadLetterRouter DeadLetters { get; set; } = null!;

    /// <summary>Faults to inject below every partition log (tests only).</summary>
    public Storage.StorageFaults StorageFaults { get; } = new();

    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    private long _residentBytes;

    /// <summary>Bytes of message bodies currently held in memory.</summary>
    public long ResidentBytes => Interlocked.Read(ref _residentBytes);

    /// <summary>Counts <paramref name="bytes"/> of body as resident if the budget allows (or
    /// unconditionally when <paramref name="force"/>, for bodies that must be held, such as deliveries).</summary>
    public bool TryHoldResident(long bytes, bool force = false)
    {
        var after = Interlocked.Add(ref _residentBytes, bytes);
        if (force || after <= Options.Storage.MaxResidentBytes)
        {
            return true;
        }

        Interlocked.Add(ref _residentBytes, -bytes);
        return false;
    }

    public void ReleaseResident(long bytes) => Interlocked.Add(ref _residentBytes, -bytes);

    /// <summary>Partitions parked after failing recovery or I/O, with the reason.</summary>
    public IReadOnlyDictionary<(QueueName Queue, uint Partition), string> QuarantinedPartitions => _quarantined;

    public void Quarantined(Partition partition, string reason)
    {
        if (_quarantined.TryAdd((partition.Queue.Name, partition.Index), reason))
        {
            Metrics.Quarantined.Inc();
            Metrics.Quarantines.Inc();
            Logger.PartitionQuarantined(partition.Index, partition.Queue.Name, reason);
        }
    }

    /// <summary>Partitions whose log cannot be written at the moment, with the reason; each retries by itself.</summary>
    public IReadOnlyDictionary<(QueueName Queue, uint Partition), string> ParkedPartitions => _parked;

    public void Parked(Partition partition, Exception failure)
    {
        var reason = partition.ParkedReason ?? failure.Message;
        if (_parked.TryAdd((partition.Queue.Name, partition.Index), reason))
        {
            Metrics.Parked.Inc();
            Logger.PartitionParked(failure, partition.Index, partition.Queue.Name);
        }
    }

    public void Resumed(Partition partition)
    {
        if (_parked.TryRemove((partition.Queue.Name, partition.Index), out _))
        {
            Metrics.Parked.Dec();
            Logger.PartitionResumed(partition.Index, partition.Queue.Name);
        }
    }

    public void Dispose()
    {
        DiskSpace.Dispose();
        Maintenance.Dispose();
        Timers.Dispose();
        Flusher.Dispose();
    }
}
