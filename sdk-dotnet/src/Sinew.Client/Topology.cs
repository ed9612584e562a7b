// The broker's catalogue of queues and streams as the client exposes it.
using Sinew.Protocol.Naming;

namespace Sinew.Client;

/// <summary>Whether a channel is a work queue or a fan-out stream.</summary>
public enum ChannelKind
{
    /// <summary>A work queue: each message goes to one consumer.</summary>
    Queue = 0,
    /// <summary>A stream: every reader sees every record.</summary>
    Stream = 1,
}

/// <summary>The broker's catalogue, from <see cref="SinewClient.GetTopologyAsync"/>.</summary>
/// <param name="Generation">The catalogue generation; it increases with every change.</param>
/// <param name="Brokers">The brokers.</param>
/// <param name="Channels">Every queue and stream.</param>
public sealed record Topology(ulong Generation, IReadOnlyList<TopologyBroker> Brokers, IReadOnlyList<TopologyChannel> Channels)
{
    /// <summary>The queue or stream <paramref name="topic"/> in <paramref name="group"/>, or null when the catalogue has
    /// none. The group is normalised as everywhere (null, <c>""</c> and <c>"default"</c> mean none).</summary>
    public TopologyChannel? Find(string topic, string? group = null)
    {
        ArgumentNullException.ThrowIfNull(topic);
        var wanted = GroupNames.Normalise(group);
        return Channels.FirstOrDefault(c => c.Topic == topic && c.Group == wanted);
    }
}

/// <summary>One broker in a <see cref="Topology"/>.</summary>
/// <param name="BrokerId">Its stable id.</param>
/// <param name="Endpoints">Its <c>host:port</c> addresses, in order of preference.</param>
public sealed record TopologyBroker(string BrokerId, IReadOnlyList<string> Endpoints);

/// <summary>One queue or stream in a <see cref="Topology"/>.</summary>
/// <param name="Kind">Queue or stream.</param>
/// <param name="Topic">Its topic.</param>
/// <param name="Group">Its group; null for none.</param>
/// <param name="Partitions">Its partition count.</param>
/// <param name="RoutingVersion">The routing version publishes are stamped with.</param>
/// <param name="Owners">Per partition, the index of its broker in <see cref="Topology.Brokers"/>; null when one
/// broker owns every partition.</param>
public sealed record TopologyChannel(ChannelKind Kind, string Topic, string? Group, int Partitions, ulong RoutingVersion,
    IReadOnlyList<int>? Owners);
