// The client's live catalogue: the latest snapshot applied from a Topology (a reply or a push), the session it came
// from, a signal for the snapshot after it, and the differences between two snapshots.
using Sinew.Protocol.Naming;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Routing;

/// <summary>Holds one immutable <see cref="Catalogue"/> at a time and replaces it with every newer topology. Watchers
/// keep no queue of their own: each remembers the snapshot it saw last and compares it with the current one when it
/// reads, so a watcher that never reads holds one reference, however many topologies arrive.</summary>
internal sealed class CatalogueView
{
    private readonly object _gate = new();
    private Catalogue? _current;
    private string? _session;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The latest snapshot; null until the first topology establishes the view.</summary>
    public Catalogue? Current => Volatile.Read(ref _current);

    /// <summary>Whether the current snapshot came from <paramref name="session"/>.</summary>
    public bool IsFrom(string session)
    {
        lock (_gate)
        {
            return _current is not null && _session == session;
        }
    }

    /// <summary>Replaces the snapshot with <paramref name="topology"/>, unless a snapshot of the same session with the
    /// same or a newer generation is held (a reply and a push can cross). A topology from another session always
    /// replaces it: generations are comparable only within a session.</summary>
    /// <returns>The snapshot replaced (null when the view was not established), and whether anything was applied.</returns>
    public (Catalogue? Previous, bool Applied) Apply(Wire.Topology topology, string session)
    {
        TaskCompletionSource released;
        Catalogue? previous;
        lock (_gate)
        {
            previous = _current;
            if (previous is not null && _session == session && topology.Generation <= previous.Generation)
            {
                return (previous, false);
            }

            Volatile.Write(ref _current, FromWire(topology));
            _session = session;
            released = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        released.TrySetResult();
        return (previous, true);
    }

    /// <summary>Completes once the current snapshot is no longer <paramref name="seen"/> (at once if it already is
    /// not).</summary>
    public Task WhenReplaced(Catalogue? seen)
    {
        lock (_gate)
        {
            return ReferenceEquals(_current, seen) ? _next.Task : Task.CompletedTask;
        }
    }

    /// <summary>What changed from <paramref name="before"/> to <paramref name="after"/>; null when nothing did (a newer
    /// generation can list the same channels alike).</summary>
    public static CatalogueChange? Diff(Catalogue before, Catalogue after)
    {
        var old = new Dictionary<(ChannelKind, string, string?), CatalogueEntry>(before.Entries.Count);
        foreach (var entry in before.Entries)
        {
            old[(entry.Kind, entry.Topic, entry.Group)] = entry;
        }

        List<CatalogueEntry>? added = null, changed = null;
        foreach (var entry in after.Entries)
        {
            if (!old.Remove((entry.Kind, entry.Topic, entry.Group), out var was))
            {
                (added ??= []).Add(entry);
            }
            else if (was != entry)
            {
                (changed ??= []).Add(entry);
            }
        }

        if (added is null && changed is null && old.Count == 0)
        {
            return null;
        }

        // In the order the earlier snapshot listed them, as added and changed follow the later one's.
        var removed = before.Entries.Where(e => old.ContainsKey((e.Kind, e.Topic, e.Group))).ToArray();
        return new CatalogueChange(after.Generation, added ?? [], removed, changed ?? []);
    }

    private static Catalogue FromWire(Wire.Topology topology)
    {
        var entries = new CatalogueEntry[topology.Channels.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            var channel = topology.Channels[i];
            entries[i] = new CatalogueEntry((ChannelKind)channel.Kind, channel.Topic, GroupNames.Normalise(channel.Group),
                (int)Math.Min(channel.Partitions, int.MaxValue), channel.RoutingVersion);
        }

        return new Catalogue(topology.Generation, entries);
    }
}
