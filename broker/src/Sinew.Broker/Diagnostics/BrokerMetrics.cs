// Prometheus metrics: connections, fsync latency, quarantines, and how far the verification at start has come,
// in a prometheus-net registry; and the per-queue counters and gauges (QueueMetrics), written next to them.
using System.Collections.Concurrent;
using Prometheus;

namespace Sinew.Broker.Diagnostics;

/// <summary>The broker's metrics. The per-queue series are not prometheus-net children: a child costs several
/// hundred bytes, a queue had thirteen, and a broker with many idle queues paid kilobytes for each.</summary>
internal sealed class BrokerMetrics
{
    private readonly ConcurrentDictionary<QueueName, QueueMetrics> _queueMetrics = new();
    private readonly Gauge _queues;
    private readonly Gauge _queuesVerified;
    private readonly Gauge _queuesQuarantined;
    private readonly Gauge _partitions;
    private readonly Gauge _partitionsVerified;

    public BrokerMetrics(CollectorRegistry registry)
    {
        Registry = registry;
        var factory = Metrics.WithCustomRegistry(registry);
        Connections = factory.CreateGauge("sinew_connections", "Open protocol connections.");
        FsyncSeconds = factory.CreateHistogram("sinew_fsync_duration_seconds", "Time to write and fsync one batch of a partition log.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.00005, 2, 16) });
        Quarantined = factory.CreateGauge("sinew_partitions_quarantined", "Partitions parked after failing recovery checks.");
        Quarantines = factory.CreateCounter("sinew_quarantines_total", "Partitions quarantined since start.");
        Parked = factory.CreateGauge("sinew_partitions_parked", "Partitions that cannot write their log at the moment (a failed write or fsync); each retries by itself.");
        WriteFailures = factory.CreateCounter("sinew_log_write_failures_total", "Partition log flushes that failed (write, fsync or segment creation).");
        DiskFreeBytes = factory.CreateGauge("sinew_disk_free_bytes", "Free bytes on the file system of the data directory, as last measured.");
        DiskLow = factory.CreateGauge("sinew_disk_low", "1 while free space is under storage.min_free_bytes and publishing is refused, otherwise 0.");
        _queues = factory.CreateGauge("sinew_queues", "Queues in the data directory, quarantined ones included.");
        _queuesVerified = factory.CreateGauge("sinew_queues_verified", "Queues recovered and checked since start (declared since, or verified).");
        _queuesQuarantined = factory.CreateGauge("sinew_queues_quarantined", "Queues not served at all: a missing or damaged queue.json, or a failed load.");
        _partitions = factory.CreateGauge("sinew_partitions", "Partitions of the queues whose settings could be read.");
        _partitionsVerified = factory.CreateGauge("sinew_partitions_verified", "Partitions recovered and checked since start, quarantined ones included.");
    }

    public CollectorRegistry Registry { get; }

    public Gauge Connections { get; }

    public Histogram FsyncSeconds { get; }

    public Gauge Quarantined { get; }

    public Counter Quarantines { get; }

    public Gauge Parked { get; }

    public Counter WriteFailures { get; }

    public Gauge DiskFreeBytes { get; }

    public Gauge DiskLow { get; }

    /// <summary>Sets the verification gauges (called before each scrape).</summary>
    public void ObserveVerification(int queues, int queuesVerified, int queuesQuarantined, long partitions, long partitionsVerified)
    {
        _queues.Set(queues);
        _queuesVerified.Set(queuesVerified);
        _queuesQuarantined.Set(queuesQuarantined);
        _partitions.Set(partitions);
        _partitionsVerified.Set(partitionsVerified);
    }

    /// <summary>The counters of queue <paramref name="name"/>: the same ones each time it is asked for, so a queue
    /// loaded again keeps counting where it was.</summary>
    public QueueMetrics For(QueueName name) => _queueMetrics.GetOrAdd(name, static n => new QueueMetrics(n));

    /// <summary>Writes the per-queue families in the Prometheus text format, after what the registry exports.</summary>
    public void WriteQueueFamilies(TextWriter writer) => QueueMetricsExposition.Write(writer, _queueMetrics.Values);
}
