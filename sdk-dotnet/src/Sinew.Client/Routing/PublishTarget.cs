// One publisher's destination: the queue, its cached route and its round-robin position.
namespace Sinew.Client.Routing;

/// <summary>Where a publisher sends: the queue's key, the route last looked up in the shared
/// <see cref="TopologyCache"/> (re-read only when the cache's version changes) and the round-robin counter for
/// keyless messages.</summary>
internal sealed class PublishTarget
{
    private readonly TopologyCache _cache;
    private QueueRoute? _route;
    private int _routeVersion = -1;
    private uint _roundRobin;

    public PublishTarget(QueueKey queue, TopologyCache cache)
    {
        Queue = queue;
        _cache = cache;
        Description = $"Publish to queue {queue}";
    }

    public QueueKey Queue { get; }

    /// <summary>"Publish to queue 'orders'", for error messages.</summary>
    public string Description { get; }

    /// <summary>The connection whose topology was last consulted for an unknown route, so an unknown queue is
    /// looked up once per connection rather than once per message.</summary>
    public object? LookedUpOn { get; set; }

    /// <summary>The current route, or null when the client knows nothing about the queue.</summary>
    public QueueRoute? Route
    {
        get
        {
            var version = _cache.Version;
            if (version != Volatile.Read(ref _routeVersion))
            {
                _route = _cache.TryGet(Queue, out var route) ? route : null;
                Volatile.Write(ref _routeVersion, version);
            }

            return _route;
        }
    }

    /// <summary>Chooses the partition for a message (see <see cref="PartitionRouter"/>).</summary>
    public uint? ChoosePartition(QueueRoute? route, ReadOnlySpan<byte> key, bool hasKey) =>
        PartitionRouter.Choose(route, key, hasKey, ref _roundRobin);

    private readonly object _drainGate = new();
    private int _inFlight;
    private TaskCompletionSource? _drained;

    /// <summary>Counts a publish from its start until its confirmation (or failure), so closing a publisher can wait
    /// for the confirmations it still expects.</summary>
    public void BeginPublish() => Interlocked.Increment(ref _inFlight);

    public void EndPublish()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0)
        {
            lock (_drainGate)
            {
                _drained?.TrySetResult();
            }
        }
    }

    /// <summary>Completes once no publish is in flight.</summary>
    public Task WhenDrained()
    {
        lock (_drainGate)
        {
            if (Volatile.Read(ref _inFlight) == 0)
            {
                return Task.CompletedTask;
            }

            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var task = _drained.Task;
            if (Volatile.Read(ref _inFlight) == 0)
            {
                _drained.TrySetResult();
            }

            return task;
        }
    }
}
