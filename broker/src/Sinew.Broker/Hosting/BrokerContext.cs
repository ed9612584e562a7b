// What every session needs: configuration, services, the queue registry, runtime state and identity; and
// the verification at start, which readiness reports on.
using Sinew.Broker.Configuration;
using Sinew.Broker.Network;
using Sinew.Broker.Queues;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Hosting;

internal sealed class BrokerContext(
    BrokerOptions options,
    BrokerServices services,
    QueueRegistry registry,
    RuntimeState runtime,
    SessionRegistry sessions,
    StartupVerification verification,
    string serverId)
{
    public BrokerOptions Options { get; } = options;

    public BrokerServices Services { get; } = services;

    public QueueRegistry Registry { get; } = registry;

    public RuntimeState Runtime { get; } = runtime;

    public SessionRegistry Sessions { get; } = sessions;

    public StartupVerification Verification { get; } = verification;

    public string ServerId { get; } = serverId;

    public string ServerVersion { get; } = typeof(BrokerContext).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>The endpoint clients reach the protocol listener on, once bound.</summary>
    public string ProtocolEndpoint { get; set; } = "";

    /// <summary>Set once recovery at start has finished.</summary>
    public bool Started { get; set; }

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
