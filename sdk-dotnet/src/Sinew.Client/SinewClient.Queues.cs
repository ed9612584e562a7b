// Declaring queues and reading the topology, which also feeds the routing cache: the checks and the conversions
// between the public types and the protocol's; the requests themselves are the client core's.
using Sinew.Client.Internal;
using Sinew.Client.Routing;
using Sinew.Protocol.Timing;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client;

public sealed partial class SinewClient
{
    private static readonly QueueOptions DefaultQueueOptions = new();

    /// <summary>Creates the queue, or confirms it exists with the same settings, and returns its effective
    /// settings. The partition count is remembered for routing.</summary>
    /// <param name="topic">The queue's topic, a valid name (1 to 200 bytes, no whitespace, no <c>* &gt; ? # / \</c>,
    /// not starting with <c>$</c>).</param>
    /// <param name="options">Its settings; null for the broker's defaults.</param>
    /// <param name="cancellationToken">Stops waiting; the declaration may still take effect.</param>
    /// <exception cref="InvalidArgumentException">A name or setting is invalid; nothing was sent.</exception>
    /// <exception cref="BrokerException"><c>conflict</c> when the queue exists with other settings.</exception>
    public async Task<QueueInfo> DeclareQueueAsync(string topic, QueueOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= DefaultQueueOptions;
        var queue = new QueueKey(Arguments.Topic(topic), Arguments.Group(options.Group));
        if (options.Partitions is < 1)
        {
            throw new InvalidArgumentException($"A queue needs at least one partition, not {options.Partitions}.", nameof(QueueOptions.Partitions), "out_of_range");
        }

        if (options.MaxRetries is < 0)
        {
            throw new InvalidArgumentException($"MaxRetries cannot be negative ({options.MaxRetries}); use 0 for no redeliveries.", nameof(QueueOptions.MaxRetries), "out_of_range");
        }

        Arguments.Positive(options.DefaultTtl, nameof(QueueOptions.DefaultTtl), "default TTL");
        Arguments.InRange(options.DefaultTtl, DurationField.QueueDefaultTtl, nameof(QueueOptions.DefaultTtl), "default TTL");
        Arguments.Positive(options.Lease, nameof(QueueOptions.Lease), "lease");
        Arguments.InRange(options.Lease, DurationField.QueueLease, nameof(QueueOptions.Lease), "lease");
        var deadLetter = options.DeadLetter is { } policy ? ToWire(policy) : null;
        var request = new Wire.DeclareQueue(queue.Topic, queue.Group, (uint?)options.Partitions, deadLetter, (uint?)options.MaxRetries,
            Durations.ToMilliseconds(options.DefaultTtl), Durations.ToMilliseconds(options.Lease));

        var ok = await _core.DeclareQueueAsync(queue, request, cancellationToken).ConfigureAwait(false);
        return new QueueInfo(queue.Topic, queue.Group, ok.Created, (int)ok.Partitions, FromWire(ok.DeadLetter), (int)Math.Min(ok.MaxRetries, int.MaxValue),
            ok.DefaultTtlMs is { } ttl ? Durations.FromMilliseconds(ttl) : null, Durations.FromMilliseconds(ok.LeaseMs));
    }

    /// <summary>Reads the broker's catalogue of queues and streams, and refreshes the routing cache with it.</summary>
    public async Task<Topology> GetTopologyAsync(CancellationToken cancellationToken = default)
    {
        var topology = await _core.ReadTopologyAsync(cancellationToken).ConfigureAwait(false);
        return new Topology(
            topology.Generation,
            [.. topology.Brokers.Select(b => new TopologyBroker(b.BrokerId, b.Endpoints))],
            [.. topology.Channels.Select(c => new TopologyChannel((ChannelKind)c.Kind, c.Topic, Protocol.Naming.GroupNames.Normalise(c.Group), (int)c.Partitions,
                c.RoutingVersion, c.Owners?.Select(o => (int)o).ToArray()))]);
    }

    private static Wire.DeadLetterPolicy ToWire(DeadLetterPolicy policy) => policy.Kind switch
    {
        DeadLetterKind.Queue => new Wire.DeadLetterPolicy(Wire.DeadLetterKind.Queue,
            policy.Topic, policy.Group),
        DeadLetterKind.Global => new Wire.DeadLetterPolicy(Wire.DeadLetterKind.Global),
        _ => new Wire.DeadLetterPolicy(Wire.DeadLetterKind.Discard),
    };

    private static DeadLetterPolicy FromWire(Wire.DeadLetterPolicy policy) => policy.Kind switch
    {
        Wire.DeadLetterKind.Queue => DeadLetterPolicy.Reported(policy.Topic ?? string.Empty, Protocol.Naming.GroupNames.Normalise(policy.Group)),
        Wire.DeadLetterKind.Global => DeadLetterPolicy.Global,
        _ => DeadLetterPolicy.Discard,
    };
}
