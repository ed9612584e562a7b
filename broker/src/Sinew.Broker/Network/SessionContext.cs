// What every session needs: configuration, the engine's services and queues, the other sessions, and how the
// broker presents itself to clients (Hello, the Topology frames and their pushes).
using Sinew.Broker.Configuration;
using Sinew.Broker.Engine;
using Sinew.Broker.Queues;

namespace Sinew.Broker.Network;

internal sealed class SessionContext
{
    public SessionContext(BrokerOptions options, BrokerServices services, QueueRegistry registry, SessionRegistry sessions, string serverId,
        TimeSpan? topologyCoalescing = null)
    {
        Options = options;
        Services = services;
        Registry = registry;
        Sessions = sessions;
        ServerId = serverId;
        Topology = new TopologyFrames(registry.Catalogue, () => ProtocolEndpoint, serverId);
        TopologyPusher = new TopologyPusher(registry.Catalogue, Topology, () => sessions.All,
            topologyCoalescing ?? TopologyPusher.DefaultCoalescing, services.Logger);
    }

    public BrokerOptions Options { get; }

    public BrokerServices Services { get; }

    public QueueRegistry Registry { get; }

    public SessionRegistry Sessions { get; }

    public string ServerId { get; }

    public string ServerVersion { get; } = typeof(SessionContext).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>The endpoint clients reach the protocol listener on, once bound.</summary>
    public string ProtocolEndpoint { get; set; } = "";

    /// <summary>The catalogue clients route by.</summary>
    public RoutingCatalogue Catalogue => Registry.Catalogue;

    /// <summary>The catalogue as Topology frames, one encoded frame per generation.</summary>
    public TopologyFrames Topology { get; }

    /// <summary>Sends every connection the catalogue after it changes.</summary>
    public TopologyPusher TopologyPusher { get; }
}
