// The shared machinery every queue and partition uses: clock, flusher, timers, maintenance, the resident-body
// budget, disk space, giving memory back when idle, metrics, logging, and the lists of partitions that cannot serve.
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Sinew.Broker.Configuration;
using Sinew.Broker.Diagnostics;
using Sinew.Broker.Storage;

namespace Sinew.Broker.Engine;

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
        Timers = new TimerScheduler(time, logger);
        Maintenance = new MaintenanceLoop(options.Storage, logger);
        Resident = new ResidentBudget(options.Storage);
        IdleMemory = new IdleMemoryReturn();
        DiskSpace = new DiskSpaceMonitor(options.Storage.DataDir, options.Storage.MinFreeBytes,
            TimeSpan.FromMilliseconds(options.Storage.DiskCheckIntervalMs), metrics, logger);
    }

    public BrokerOptions Options { get; }

    public TimeProvider Time { get; }

    public BrokerMetrics Metrics { get; }

    public ILogger Logger { get; }

    public Flusher Flusher { get; }

    public TimerScheduler Timers { get; }

    public MaintenanceLoop Maintenance { get; }

    /// <summary>Message bodies held in memory, against the configured budget.</summary>
    public ResidentBudget Resident { get; }

    /// <summary>Free space on the data directory's file system, and whether publishing must stop.</summary>
    public DiskSpaceMonitor DiskSpace { get; }

    /// <summary>Gives the heap back to the operating system when the broker goes quiet.</summary>
    public IdleMemoryReturn IdleMemory { get; }

    /// <summary>Faults to inject below every partition log (tests only).</summary>
    public StorageFaults StorageFaults { get; } = new();

    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Partitions parked after failing recovery or I/O, with the reason.</summary>
    public IReadOnlyDictionary<(QueueName Queue, uint Partition), string> QuarantinedPartitions => _quarantined;

    public void Quarantined(IScheduledPartition partition, string reason)
    {
        if (_quarantined.TryAdd((partition.QueueName, partition.Index), reason))
        {
            Metrics.Quarantined.Inc();
            Metrics.Quarantines.Inc();
            Logger.PartitionQuarantined(partition.Index, partition.QueueName, reason);
        }
    }

    /// <summary>Partitions whose log cannot be written at the moment, with the reason; each retries by itself.</summary>
    public IReadOnlyDictionary<(QueueName Queue, uint Partition), string> ParkedPartitions => _parked;

    public void Parked(IScheduledPartition partition, string reason, Exception failure)
    {
        if (_parked.TryAdd((partition.QueueName, partition.Index), reason))
        {
            Metrics.Parked.Inc();
            Logger.PartitionParked(failure, partition.Index, partition.QueueName);
        }
    }

    public void Resumed(IScheduledPartition partition)
    {
        if (_parked.TryRemove((partition.QueueName, partition.Index), out _))
        {
            Metrics.Parked.Dec();
            Logger.PartitionResumed(partition.Index, partition.QueueName);
        }
    }

    /// <summary>Drops what is recorded about a partition of a deleted queue: a name declared again starts clean.</summary>
    public void Forget(IScheduledPartition partition)
    {
        if (_quarantined.TryRemove((partition.QueueName, partition.Index), out _))
        {
            Metrics.Quarantined.Dec();
        }

        if (_parked.TryRemove((partition.QueueName, partition.Index), out _))
        {
            Metrics.Parked.Dec();
        }
    }

    public void Dispose()
    {
        DiskSpace.Dispose();
        IdleMemory.Dispose();
        Maintenance.Dispose();
        Timers.Dispose();
        Flusher.Dispose();
    }
}
