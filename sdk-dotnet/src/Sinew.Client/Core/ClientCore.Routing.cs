// Routing knowledge and the requests that feed it: looking up a queue's route (asking the broker's topology when the
// cache does not know it), reading the topology, and declaring queues, whose answers the cache learns from.
using Sinew.Client.Connection;
using Sinew.Client.Diagnostics;
using Sinew.Client.Errors;
using Sinew.Client.Routing;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Core;

internal sealed partial class ClientCore
{
    /// <summary>The route to a publisher's queue. An unknown queue is looked up in the broker's topology once per
    /// connection; if the broker does not list it either, the route stays unknown (and the broker will say
    /// <c>not_found</c> when the publish arrives).</summary>
    public ValueTask<QueueRoute?> ResolveRouteAsync(PublishTarget target, SinewConnection connection, CancellationToken cancellationToken)
    {
        if (RefreshUnderWay(connection) is { } refresh)
        {
            return AfterRefreshAsync(refresh);
        }

        var route = target.Route;
        if (route is not null || ReferenceEquals(target.LookedUpOn, connection))
        {
            return new ValueTask<QueueRoute?>(route);
        }

        return LookUpAsync();

        async ValueTask<QueueRoute?> AfterRefreshAsync(Task refresh)
        {
            try
            {
                await refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SinewException)
            {
                // Logged where it failed; the publish goes on with what the client knows, and the broker still
                // refuses a stale route with a redirect.
            }

            return await ResolveRouteAsync(target, connection, cancellationToken).ConfigureAwait(false);
        }

        async ValueTask<QueueRoute?> LookUpAsync()
        {
            await FetchTopologyAsync(connection, cancellationToken).ConfigureAwait(false);
            target.LookedUpOn = connection;
            return target.Route;
        }
    }

    /// <summary>The partition count of a queue, asking the broker's topology when the cache does not know it.</summary>
    public async Task<QueueRoute?> ResolveRouteAsync(QueueKey queue, SinewConnection connection, CancellationToken cancellationToken)
    {
        if (Topology.TryGet(queue, out var route))
        {
            return route;
        }

        await FetchTopologyAsync(connection, cancellationToken).ConfigureAwait(false);
        return Topology.TryGet(queue, out route) ? route : null;
    }

    /// <summary>Reads the broker's catalogue on the current connection (reconnecting first if needed) and applies it
    /// to the routing cache.</summary>
    public async Task<Wire.Topology> ReadTopologyAsync(CancellationToken cancellationToken)
    {
        ThrowIfClosed("Reading the topology");
        var connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await FetchTopologyAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Asks the broker for its catalogue and applies it to the routing cache.</summary>
    public async Task<Wire.Topology> FetchTopologyAsync(SinewConnection connection, CancellationToken cancellationToken)
    {
        const string operation = "Topology request";
        var reply = await connection.RequestAsync(Wire.TopologyRequest.Instance, operation, cancellationToken).ConfigureAwait(false);
        var topology = Expect<Wire.Topology>(reply, operation);
        ApplyTopology(connection, topology);
        return topology;
    }

    /// <summary>Declares a queue and remembers its partition count for routing.</summary>
    /// <returns>The broker's answer: the queue's effective settings.</returns>
    public async Task<Wire.DeclareQueueOk> DeclareQueueAsync(QueueKey queue, Wire.DeclareQueue request, CancellationToken cancellationToken)
    {
        var operation = $"Declare queue {queue}";
        ThrowIfClosed(operation);
        var connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
        var reply = await connection.RequestAsync(request, operation, cancellationToken).ConfigureAwait(false);
        var ok = Expect<Wire.DeclareQueueOk>(reply, operation);
        Topology.Learn(queue, ok.Partitions);
        RefreshUnlessListed(connection, queue, ok.Partitions);
        return ok;
    }

    /// <summary>The reply if it is a <typeparamref name="T"/>; the broker's error as a <see cref="BrokerException"/>;
    /// anything else as a <see cref="ProtocolException"/>.</summary>
    public static T Expect<T>(Wire.IWireMessage reply, string operation) where T : Wire.IWireMessage => reply switch
    {
        T expected => expected,
        Wire.Error error => throw BrokerErrors.FromError(error, operation),
        _ => throw new ProtocolException($"{operation} was answered with {reply.Opcode} instead of {typeof(T).Name}."),
    };
}
