// The client's live view of the broker's queues and streams: a snapshot, and one entry of it.
using Sinew.Protocol.Naming;

namespace Sinew.Client;

/// <summary>A snapshot of the broker's catalogue as the client holds it, from <see cref="SinewClient.GetCatalogueAsync"/>.
/// The client keeps its view live from the broker's pushes; a snapshot never changes, a later call returns a newer
/// one.</summary>
/// <param name="Generation">The catalogue generation. It orders the snapshots of one session only: after a reconnection
/// the broker may count from elsewhere (a restarted broker starts again), so compare generations only between
/// snapshots taken on the same connection.</param>
/// <param name="Entries">Every queue and stream.</param>
public sealed record Catalogue(ulong Generation, IReadOnlyList<CatalogueEntry> Entries)
{
    /// <summary>The queue or stream <paramref name="topic"/> in <paramref name="group"/>, or null when the catalogue has
    /// none. The group is normalised as everywhere (null, <c>""</c> and <c>"default"</c> mean none).</summary>
    public CatalogueEntry? Find(string topic, string? group = null)
    {
        ArgumentNullException.ThrowIfNull(topic);
        var wanted = GroupNames.Normalise(group);
        foreach (var entry in Entries)
        {
            if (entry.Topic == topic && entry.Group == wanted)
            {
                return entry;
            }
        }

        return null;
    }
}

/// <summary>One queue or stream in a <see cref="Catalogue"/>. Two entries with the same kind, topic and group are the
/// same channel; it has changed when its partition count or routing version differs.</summary>
/// <param name="Kind">Queue or stream.</param>
/// <param name="Topic">Its topic.</param>
/// <param name="Group">Its group; null for none.</param>
/// <param name="Partitions">Its partition count.</param>
/// <param name="RoutingVersion">The routing version publishes routed by this entry carry; it increases whenever the
/// channel's partitioning changes.</param>
public sealed record CatalogueEntry(ChannelKind Kind, string Topic, string? Group, int Partitions, ulong RoutingVersion);
