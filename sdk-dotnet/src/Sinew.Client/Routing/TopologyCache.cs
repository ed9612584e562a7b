// Partition counts per queue, learned from DeclareQueueOk and Topology frames.
using System.Collections.Concurrent;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Routing;

/// <summary>The client's routing knowledge, shared by every publisher and subscription of a client. A
/// <see cref="Version"/> that changes with every update lets publishers keep the route they looked up last
/// without a dictionary lookup per message.</summary>
internal sealed class TopologyCache
{
    private readonly ConcurrentDictionary<QueueKey, QueueRoute> _routes = new();
    private readonly object _gate = new();
    private ulong? _generation;
    private string? _generationSession;
    private int _version;

    /// <summary>Changes whenever any route changes.</summary>
    public int Version => Volatile.Read(ref _version);

    public bool TryGet(QueueKey queue, out QueueRoute route) => _routes.TryGetValue(queue, out route!);

    /// <summary>Records a queue's partition count from its DeclareQueueOk. A routing version already known for
    /// the same partition count is kept.</summary>
    public void Learn(QueueKey queue, uint partitions)
    {
        _routes.AddOrUpdate(queue,
            static (_, p) => new QueueRoute(p, null),
            static (_, existing, p) => existing.Partitions == p ? existing : new QueueRoute(p, null),
            partitions);
        Interlocked.Increment(ref _version);
    }

    /// <summary>Replaces the queues' routes with a topology's, unless a newer generation of the same session was
    /// applied already (a reply and a push can cross).</summary>
    /// <param name="topology">The catalogue.</param>
    /// <param name="session">The session it came from. Generations order the catalogues of one session only: after a
    /// reconnection the broker may be another one, or the same with its data started afresh, counting from the
    /// beginning again, and its catalogue is the one that routes now.</param>
    /// <returns>False when the topology was older than what the cache holds.</returns>
    public bool Apply(Wire.Topology topology, string? session = null)
    {
        lock (_gate)
        {
            if (_generation is { } current && _generationSession == session && topology.Generation < current)
            {
                return false;
            }

            _generation = topology.Generation;
            _generationSession = session;
            var present = new HashSet<QueueKey>();
            foreach (var channel in topology.Channels)
            {
                if (channel.Kind != Wire.ChannelKind.Queue || channel.Partitions == 0)
                {
                    continue;
                }

                var key = new QueueKey(channel.Topic, Protocol.Naming.GroupNames.Normalise(channel.Group));
                present.Add(key);
                _routes[key] = new QueueRoute(channel.Partitions, channel.RoutingVersion);
            }

            foreach (var key in _routes.Keys)
            {
                if (!present.Contains(key))
                {
                    _routes.TryRemove(key, out _);
                }
            }

            Interlocked.Increment(ref _version);
            return true;
        }
    }
}
