// A declared queue in the registry: its name, settings and directory, and the queue itself once loaded. Each
// queue is loaded (its partitions recovered) exactly once, by whoever needs it first.
namespace Sinew.Broker.Queues;

/// <summary>A declared queue, loaded or not.</summary>
internal sealed class QueueSlot(QueueName name, QueueSettings settings, ulong routingVersion, string directory, Func<Queue> load)
{
    private readonly Lazy<Queue> _queue = new(load, LazyThreadSafetyMode.ExecutionAndPublication);
    private QuarantinedQueue? _quarantine;

    public QueueName Name { get; } = name;

    public QueueSettings Settings { get; } = settings;

    /// <summary>The routing version publishes to this queue must not be older than (queue.json keeps it).</summary>
    public ulong RoutingVersion { get; } = routingVersion;

    public string Directory { get; } = directory;

    public bool IsLoaded => _queue.IsValueCreated;

    /// <summary>The queue, loaded on first use. A failed load is not retried: the same exception is thrown
    /// again (<see cref="QueueRegistry.Load"/> turns it into a quarantine).</summary>
    public Queue Queue => _queue.Value;

    /// <summary>Set when loading failed; the queue then answers quarantined.</summary>
    public QuarantinedQueue? Quarantine
    {
        get => Volatile.Read(ref _quarantine);
        set => Volatile.Write(ref _quarantine, value);
    }
}
