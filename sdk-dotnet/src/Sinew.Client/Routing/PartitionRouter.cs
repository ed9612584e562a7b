// Which partition a publish goes to: FNV-1a of the key, round-robin without one, partition 0 when unknown.
using Sinew.Protocol.Routing;

namespace Sinew.Client.Routing;

/// <summary>The client's routing rule (protocol section 8.2).</summary>
internal static class PartitionRouter
{
    /// <summary>Chooses the partition to stamp on a message.</summary>
    /// <param name="route">What the client knows about the queue; null when nothing.</param>
    /// <param name="key">The partition key, if any.</param>
    /// <param name="hasKey">Whether the message has a key (an empty key is still a key).</param>
    /// <param name="roundRobin">The publisher's round-robin counter, advanced for keyless messages.</param>
    /// <returns>The partition; null for a keyed message to a queue whose partition count is unknown, which the
    /// broker then routes by the key (a guessed partition would be refused as inconsistent with the key).</returns>
    public static uint? Choose(QueueRoute? route, ReadOnlySpan<byte> key, bool hasKey, ref uint roundRobin)
    {
        if (route is null)
        {
            return hasKey ? null : 0u;
        }

        if (hasKey)
        {
            return PartitionRouting.PartitionForKey(key, route.Partitions);
        }

        if (route.Partitions == 1)
        {
            return 0;
        }

        var next = Interlocked.Increment(ref roundRobin) - 1;
        return next % route.Partitions;
    }
}
