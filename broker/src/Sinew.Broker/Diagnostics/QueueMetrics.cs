// The counters and gauges of one queue: plain numbers, written out by QueueMetricsExposition when /metrics is
// scraped, so an idle queue costs a few dozen bytes of metrics rather than a set of prometheus-net children.
namespace Sinew.Broker.Diagnostics;

/// <summary>A monotonically increasing count of events of one queue.</summary>
internal sealed class QueueCounter
{
    private long _value;

    public long Value => Interlocked.Read(ref _value);

    public void Inc(long by = 1) => Interlocked.Add(ref _value, by);
}

/// <summary>One queue's series. The counters count from the broker's start; the gauges are set from the queue's
/// state just before each scrape.</summary>
internal sealed class QueueMetrics(QueueName name)
{
    private readonly QueueCounter[] _deadLettered = [new(), new(), new()];
    private long _depth;
    private long _ready;
    private long _inflight;
    private long _delayed;
    private long _deadLettering;

    public QueueName Name { get; } = name;

    public QueueCounter Published { get; } = new();

    public QueueCounter Delivered { get; } = new();

    public QueueCounter Acked { get; } = new();

    public QueueCounter Nacked { get; } = new();

    public QueueCounter LeaseExpired { get; } = new();

    public QueueCounter DeadLettered(DeadLetterReason reason) => _deadLettered[(int)reason - 1];

    public long Depth => Interlocked.Read(ref _depth);

    public long Ready => Interlocked.Read(ref _ready);

    public long Inflight => Interlocked.Read(ref _inflight);

    public long Delayed => Interlocked.Read(ref _delayed);

    /// <summary>Messages out of delivery because their dead-letter copy is not durable in the target yet.</summary>
    public long DeadLettering => Interlocked.Read(ref _deadLettering);

    /// <summary>Sets the gauges from the queue's current state, summed over its partitions (called before each scrape).</summary>
    public void Observe(long unsettled, long readyCount, long inflightCount, long delayedCount, long deadLetteringCount)
    {
        Interlocked.Exchange(ref _depth, unsettled);
        Interlocked.Exchange(ref _ready, readyCount);
        Interlocked.Exchange(ref _inflight, inflightCount);
        Interlocked.Exchange(ref _delayed, delayedCount);
        Interlocked.Exchange(ref _deadLettering, deadLetteringCount);
    }
}
