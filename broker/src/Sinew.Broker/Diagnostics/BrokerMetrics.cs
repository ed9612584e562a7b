// Prometheus metrics: per-queue counters and gauges, connections, fsync latency, quarantines, and how far
// the verification at start has come.
using Prometheus;

namespace Sinew.Broker.Diagnostics;

/// <summary>The broker's metrics, registered in one prometheus-net registry.</summary>
internal sealed class BrokerMetrics
{
    private readonly Counter _published;
    private readonly Counter _delivered;
    private readonly Counter _acked;
    private readonly Counter _nacked;
    private readonly Counter _deadLettered;
    private readonly Counter _leaseExpired;
    private readonly Gauge _depth;
    private readonly Gauge _ready;
    private readonly Gauge _inflight;
    private readonly Gauge _delayed;
    private readonly Gauge _queues;
    private readonly Gauge _queuesVerified;
    private readonly Gauge _queuesQuarantined;
    private readonly Gauge _partitions;
    private readonly Gauge _partitionsVerified;

    public BrokerMetrics(CollectorRegistry registry)
    {
        Registry = registry;
        var factory = Metrics.WithCustomRegistry(registry);
        string[] queueLabels = ["topic", "group"];
        _published = factory.CreateCounter("sinew_messages_published_total", "Messages appended to queues.", queueLabels);
        _delivered = factory.CreateCounter("sinew_messages_delivered_total", "Deliveries sent to consumers.", queueLabels);
        _acked = factory.CreateCounter("sinew_messages_acked_total", "Deliveries settled as done.", queueLabels);
        _nacked = factory.CreateCounter("sinew_messages_nacked_total", "Deliveries failed, retried or delayed by consumers.", queueLabels);
        _deadLettered = factory.CreateCounter("sinew_messages_dead_lettered_total", "Messages removed by their queue's dead-letter policy.", ["topic", "group", "reason"]);
        _leaseExpired = factory.CreateCounter("sinew_lease_expirations_total", "Deliveries whose lease ran out.", queueLabels);
        _depth = factory.CreateGauge("sinew_queue_depth", "Unsettled messages (ready, delayed, in flight).", queueLabels);
        _ready = factory.CreateGauge("sinew_queue_ready", "Messages ready for delivery.", queueLabels);
        _inflight = factory.CreateGauge("sinew_queue_inflight", "Messages delivered and not yet settled.", queueLabels);
        _delayed = factory.CreateGauge("sinew_queue_delayed", "Messages waiting for their not-before time.", queueLabels);
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

    public QueueMetrics For(QueueName name)
    {
        var labels = new[] { name.Topic, name.Group ?? "" };
        return new QueueMetrics(
            _published.WithLabels(labels), _delivered.WithLabels(labels), _acked.WithLabels(labels), _nacked.WithLabels(labels),
            _leaseExpired.WithLabels(labels),
            reason => _deadLettered.WithLabels(name.Topic, name.Group ?? "", reason.WireName()),
            _depth.WithLabels(labels), _ready.WithLabels(labels), _inflight.WithLabels(labels), _delayed.WithLabels(labels));
    }
}

/// <summary>The metric children of one queue, looked up once rather than per message.</summary>
internal sealed class QueueMetrics(
    Counter.Child published,
    Counter.Child delivered,
    Counter.Child acked,
    Counter.Child nacked,
    Counter.Child leaseExpired,
    Func<DeadLetterReason, Counter.Child> deadLettered,
    Gauge.Child depth,
    Gauge.Child ready,
    Gauge.Child inflight,
    Gauge.Child delayed)
{
    private readonly Counter.Child[] _deadLettered =
        [deadLettered(DeadLetterReason.RetriesExhausted), deadLettered(DeadLetterReason.TerminalNack), deadLettered(DeadLetterReason.Expired)];

    public Counter.Child Published { get; } = published;

    public Counter.Child Delivered { get; } = delivered;

    public Counter.Child Acked { get; } = acked;

    public Counter.Child Nacked { get; } = nacked;

    public Counter.Child LeaseExpired { get; } = leaseExpired;

    public Counter.Child DeadLettered(DeadLetterReason reason) => _deadLettered[(int)reason - 1];

    /// <summary>Sets the gauges from the queue's current state, summed over its partitions (called before each scrape).</summary>
    public void Observe(int unsettled, int readyCount, int inflightCount, int delayedCount)
    {
        depth.Set(unsettled);
        ready.Set(readyCount);
        inflight.Set(inflightCount);
        delayed.Set(delayedCount);
    }
}
