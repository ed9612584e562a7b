// Declaring queues and reading the topology, which also feeds the routing cache.
using Sinew.Client.Connection;
using Sinew.Client.Diagnostics;
using Sinew.Client.Errors;
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

        var operation = $"Declare queue {queue}";
        ThrowIfClosed(operation);
        var connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
        var reply = await connection.RequestAsync(request, operation, cancellationToken).ConfigureAwait(false);
        var ok = Expect<Wire.DeclareQueueOk>(reply, operation);
        Topology.Learn(queue, ok.Partitions);
        return new QueueInfo(queue.Topic, queue.Group, ok.Created, (int)ok.Partitions, FromWire(ok.DeadLetter), (int)Math.Min(ok.MaxRetries, int.MaxValue),
            ok.DefaultTtlMs is { } ttl ? Durations.FromMilliseconds(ttl) : null, Durations.FromMilliseconds(ok.LeaseMs));
    }

    /// <summary>Reads the broker's catalogue of queues and streams, and refreshes the routing cache with it.</summary>
    public async Task<Topology> GetTopologyAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed("Reading the topology");
        var connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
        var topology = await RequestTopologyAsync(connection, cancellationToken).ConfigureAwait(false);
        return new Topology(
            topology.Generation,
            [.. topology.Brokers.Select(b => new TopologyBroker(b.BrokerId, b.Endpoints))],
            [.. topology.Channels.Select(c => new TopologyChannel((ChannelKind)c.Kind, c.Topic, Protocol.Naming.GroupNames.Normalise(c.Group), (int)c.Partitions,
                c.RoutingVersion, c.Owners?.Select(o => (int)o).ToArray()))]);
    }

    /// <summary>The route to a publisher's queue. An unknown queue is looked up in the broker's topology once per
    /// connection; if the broker does not list it either, the route stays unknown (and the broker will say
    /// <c>not_found</c> when the publish arrives).</summary>
    internal ValueTask<QueueRoute?> ResolveRouteAsync(PublishTarget target, SinewConnection connection, CancellationToken cancellationToken)
    {
        var route = target.Route;
        if (route is not null || ReferenceEquals(target.LookedUpOn, connection))
        {
            return new ValueTask<QueueRoute?>(route);
        }

        return LookUpAsync();

        async ValueTask<QueueRoute?> LookUpAsync()
        {
            await RequestTopologyAsync(connection, cancellationToken).ConfigureAwait(false);
            target.LookedUpOn = connection;
            return target.Route;
        }
    }

    /// <summary>The partition count of a queue, asking the broker's topology when the cache does not know it.</summary>
    internal async Task<QueueRoute?> ResolveRouteAsync(QueueKey queue, SinewConnection connection, CancellationToken cancellationToken)
    {
        if (Topology.TryGet(queue, out var route))
        {
            return route;
        }

        await RequestTopologyAsync(connection, cancellationToken).ConfigureAwait(false);
        return Topology.TryGet(queue, out route) ? route : null;
    }

    private async Task<Wire.Topology> RequestTopologyAsync(SinewConnection connection, CancellationToken cancellationToken)
    {
        const string operation = "Topology request";
        var reply = await connection.RequestAsync(Wire.TopologyRequest.Instance, operation, cancellationToken).ConfigureAwait(false);
        var topology = Expect<Wire.Topology>(reply, operation);
        if (Topology.Apply(topology))
        {
            Log.TopologyUpdated(Logger, topology.Generation, topology.Channels.Count);
        }

        return topology;
    }

    /// <summary>The reply if it is a <typeparamref name="T"/>; the broker's error as a <see cref="BrokerException"/>;
    /// anything else as a <see cref="ProtocolException"/>.</summary>
    internal static T Expect<T>(Wire.IWireMessage reply, string operation) where T : Wire.IWireMessage => reply switch
    {
        T expected => expected,
        Wire.Error error => throw BrokerErrors.FromError(error, operation),
        _ => throw new ProtocolException($"{operation} was answered with {reply.Opcode} instead of {typeof(T).Name}."),
    };

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
