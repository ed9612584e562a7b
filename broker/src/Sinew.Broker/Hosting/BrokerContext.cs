// Everything one running broker is made of: configuration, the engine (services, queues, runtime state, the
// verification at start) and the protocol server's sessions. Built once by the host.
using Sinew.Broker.Configuration;
using Sinew.Broker.Engine;
using Sinew.Broker.Network;
using Sinew.Broker.Queues;

namespace Sinew.Broker.Hosting;

internal sealed class BrokerContext(
    BrokerOptions options,
    BrokerServices services,
    QueueRegistry registry,
    RuntimeState runtime,
    SessionContext protocol,
    StartupVerification verification)
{
    public BrokerOptions Options { get; } = options;

    public BrokerServices Services { get; } = services;

    public QueueRegistry Registry { get; } = registry;

    public RuntimeState Runtime { get; } = runtime;

    /// <summary>What the protocol server's sessions share, the open sessions among it.</summary>
    public SessionContext Protocol { get; } = protocol;

    public StartupVerification Verification { get; } = verification;
}
