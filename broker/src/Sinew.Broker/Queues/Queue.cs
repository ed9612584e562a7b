// A declared queue: its settings, its partitions, the routing of a publish to one of them, and the
// idempotency keys that make retried publishes safe.
using System.Globalization;
using Sinew.Broker.Diagnostics;
using Sinew.Broker.Engine;
using Sinew.Broker.Storage;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Routing;
using Sinew.Protocol.Timing;

namespace Sinew.Broker.Queues;

/// <summary>The outcome of publishing one message to a queue.</summary>
internal readonly record struct QueuePublishResult(Partition Partition, long Offset, long LsnEnd, bool Duplicate);

/// <summary>A loaded queue.</summary>
internal sealed class Queue
{
    private int _roundRobin = -1;
    private int _deadLetterNoted;

    public Queue(QueueName name, QueueSettings settings, string directory, BrokerServices services, DeadLetterRouter deadLetters)
    {
        Name = name;
        Settings = settings;
        Directory = directory;
        Services = services;
        DeadLetters = deadLetters;
        Metrics = services.Metrics.For(name);
        Dedup = new DedupTable(services.Options.Storage.DedupWindowMs, services.Options.Storage.DedupMaxEntries);
    }

    public QueueName Name { get; }

    public QueueSettings Settings { get; }

    public string Directory { get; }

    public BrokerServices Services { get; }

    public QueueMetrics Metrics { get; }

    /// <summary>Where the queue's dead messages go.</summary>
    public DeadLetterRouter DeadLetters { get; }

    public DedupTable Dedup { get; }

    public Partition[] Partitions { get; private set; } = [];

    /// <summary>Opens and recovers every partition.</summary>
    public void Load()
    {
        var partitions = new Partition[Settings.Partitions];
        for (var i = 0u; i < partitions.Length; i++)
        {
            var log = PartitionLog.Open(Path.Combine(Directory, $"p{i}"), Services.Options.Storage.SegmentBytes, Services.StorageFaults);
            partitions[i] = new Partition(this, i, log, Services);
        }

        Partitions = partitions;
        foreach (var partition in partitions)
        {
            partition.Recover();
        }
    }

    /// <summary>Publishes one message: chooses its partition, drops it when its idempotency key was already
    /// stored, otherwise appends it. The caller waits for <see cref="QueuePublishResult.LsnEnd"/> to be
    /// durable before confirming.</summary>
    public QueuePublishResult Publish(in IncomingMessage message, long nowMs)
    {
        var partition = Partitions[PartitionFor(message)];
        // Saturating: a value past the signed range would otherwise wrap to a time in the past, delivering
        // or expiring the message at once. The session refuses such values, but a queue's default TTL may come
        // from a queue file written before declares were held to the ranges.
        long notBefore = message.NotBeforeMs is { } at ? DurationRules.Time(at)
            : message.DelayMs is { } delay and > 0 ? DurationRules.Deadline(nowMs, delay)
            : 0;
        var ttl = message.TtlMs ?? Settings.DefaultTtlMs;
        var expiresAt = ttl is { } t and > 0 ? DurationRules.Deadline(nowMs, t) : 0;
        if (message.ProducerId is not { } producer)
        {
            var appended = partition.Append(message, notBefore, expiresAt);
            return new QueuePublishResult(partition, appended.Offset, appended.LsnEnd, false);
        }

        var sequence = message.Sequence;
        lock (Dedup.Lock)
        {
            if (Dedup.TryGet(producer, sequence, nowMs, out var seen))
            {
                return new QueuePublishResult(Partitions[seen.Partition], seen.Offset, seen.LsnEnd, true);
            }

            var appended = partition.Append(message, notBefore, expiresAt);
            Dedup.Add(producer, sequence, new DedupEntry(partition.Index, appended.Offset, appended.LsnEnd, nowMs));
            return new QueuePublishResult(partition, appended.Offset, appended.LsnEnd, false);
        }
    }

    /// <summary>The partition a message goes to: its key's, the one the client routed to, or the next in
    /// round-robin order.</summary>
    public int PartitionFor(in IncomingMessage message)
    {
        var count = (uint)Partitions.Length;
        if (message.PartitionKey is { } key)
        {
            var keyed = PartitionRouting.PartitionForKey(key.Span, count);
            if (message.Partition is { } chosen && chosen != keyed)
            {
                throw BrokerErrorException.Invalid("partition",
                    $"the partition key routes to partition {keyed} of queue {Name}, but the message names partition {chosen}",
                    "key_partition_mismatch");
            }

            return (int)keyed;
        }

        if (message.Partition is { } explicitPartition)
        {
            if (explicitPartition >= count)
            {
                throw new BrokerErrorException(ErrorCode.NotFound,
                    $"queue {Name} has {count} partition(s); partition {explicitPartition} does not exist",
                    ErrorDetails(explicitPartition));
            }

            return (int)explicitPartition;
        }

        return (int)((uint)Interlocked.Increment(ref _roundRobin) % count);
    }

    /// <summary>Logs the queue's first dead letter since start (one line, not one per message): operators learn
    /// that messages are failing and where they go.</summary>
    public void NoteDeadLetter(DeadLetterReason reason, QueueName? target)
    {
        if (Interlocked.Exchange(ref _deadLetterNoted, 1) != 0)
        {
            return;
        }

        if (target is { } to)
        {
            Services.Logger.FirstDeadLetter(Name, reason.WireName(), to);
        }
        else
        {
            Services.Logger.FirstDeadLetterDiscarded(Name, reason.WireName());
        }
    }

    public Dictionary<string, string> ErrorDetails(uint? partition = null)
    {
        var details = new Dictionary<string, string> { ["topic"] = Name.Topic };
        if (Name.Group is { } group)
        {
            details["group"] = group;
        }

        if (partition is { } p)
        {
            details["partition"] = p.ToString(CultureInfo.InvariantCulture);
        }

        return details;
    }

    /// <summary>Removes every ready and delayed message of every partition, durably; returns how many.</summary>
    public async Task<long> PurgeAsync(CancellationToken cancellationToken)
    {
        long removed = 0;
        foreach (var partition in Partitions)
        {
            removed += await partition.PurgeAsync(cancellationToken).ConfigureAwait(false);
        }

        Services.Logger.QueuePurged(Name, removed);
        return removed;
    }

    /// <summary>Flushes every partition and writes a final snapshot of each (used at shutdown).</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        foreach (var partition in Partitions)
        {
            await partition.CloseAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public IEnumerable<PartitionStats> Stats => Partitions.Select(p => p.Stats);

    /// <summary>Sets the queue's gauges from its partitions' current state (called before each scrape).</summary>
    public void ObserveMetrics()
    {
        int unsettled = 0, ready = 0, inflight = 0, delayed = 0, deadLettering = 0;
        foreach (var p in Stats)
        {
            unsettled += p.Unsettled;
            ready += p.Ready;
            inflight += p.Inflight;
            delayed += p.Delayed;
            deadLettering += p.DeadLettering;
        }

        Metrics.Observe(unsettled, ready, inflight, delayed, deadLettering);
    }
}
