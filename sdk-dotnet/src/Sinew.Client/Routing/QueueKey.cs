// How the client names a queue in its caches: the topic and the normalised group.
namespace Sinew.Client.Routing;

/// <summary>A queue's address: its topic and its group, already normalised (null for no group). Compared byte
/// for byte, as the broker compares names.</summary>
internal readonly record struct QueueKey(string Topic, string? Group)
{
    public override string ToString() => Group is null ? $"'{Topic}'" : $"'{Topic}' (group '{Group}')";
}
