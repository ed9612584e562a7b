// The Topology frame of each catalogue generation, encoded once and shared: every connection a change is pushed
// to, and every TopologyRequest answered in that generation, sends the same bytes.
using Sinew.Broker.Queues;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Network;

/// <summary>One generation's Topology, encoded as a push (request id 0).</summary>
/// <param name="Generation">The catalogue generation it describes.</param>
/// <param name="Frame">The whole frame, header included; never modified.</param>
/// <param name="Channels">How many channels it lists.</param>
internal sealed record TopologyFrame(long Generation, ReadOnlyMemory<byte> Frame, int Channels);

internal sealed class TopologyFrames(RoutingCatalogue catalogue, Func<string> endpoint, string serverId)
{
    private readonly object _lock = new();
    private TopologyFrame? _latest;

    /// <summary>The frame of the catalogue's current generation, built by the first caller that needs it.</summary>
    public TopologyFrame Latest()
    {
        var snapshot = catalogue.Current();
        lock (_lock)
        {
            if (_latest is { } cached && cached.Generation >= snapshot.Generation)
            {
                return cached;
            }

            return _latest = Encode(snapshot);
        }
    }

    private TopologyFrame Encode(CatalogueSnapshot snapshot)
    {
        var channels = new ChannelInfo[snapshot.Entries.Count];
        for (var i = 0; i < channels.Length; i++)
        {
            var entry = snapshot.Entries[i];
            channels[i] = new ChannelInfo(entry.Kind == CatalogueEntryKind.Queue ? ChannelKind.Queue : ChannelKind.Stream,
                entry.Name.Topic, entry.Name.Group, entry.Partitions, entry.RoutingVersion, entry.Owners);
        }

        // One broker owns everything, so owners stay absent (spec 8.9).
        var topology = new Topology((ulong)snapshot.Generation, [new BrokerInfo(serverId, [endpoint()])], channels);
        return new TopologyFrame(snapshot.Generation, FrameEncoder.EncodeToArray(topology), channels.Length);
    }
}
