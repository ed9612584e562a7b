// What every session needs: configuration, the engine's services and queues, the other sessions, and how the
// broker presents itself to clients (Hello, Topology).
using Sinew.Broker.Configuration;
using Sinew.Broker.Engine;
using Sinew.Broker.Queues;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Network;

internal sealed class SessionContext(
    BrokerOptions options,
    BrokerServices services,
    QueueRegistry registry,
    SessionRegistry sessions,
    string serverId)
{
    public BrokerOptions Options { get; } = options;

    public BrokerServices Services { get; } = services;

    public QueueRegistry Registry { get; } = registry;

    public SessionRegistry Sessions { get; } = sessions;

    public string ServerId { get; } = serverId;

    public string ServerVersion { get; } = typeof(SessionContext).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>The endpoint clients reach the protocol listener on, once bound.</summary>
    public string ProtocolEndpoint { get; set; } = "";

    /// <summary>The catalogue: every declared queue with its partition count. One broker owns everything.</summary>
    public Topology Topology()
    {
        var channels = Registry.Slots
            .OrderBy(s => s.Name.Topic, StringComparer.Ordinal)
            .ThenBy(s => s.Name.Group, StringComparer.Ordinal)
            .Select(s => new ChannelInfo(ChannelKind.Queue, s.Name.Topic, s.Name.Group, s.Settings.Partitions, RoutingVersion: 1))
            .ToList();
        return new Topology((ulong)Registry.Generation, [new BrokerInfo(ServerId, [ProtocolEndpoint])], channels);
    }
}
