// Which partition a key selects.
namespace Sinew.Protocol.Routing;

/// <summary>Maps partition keys to partitions.</summary>
public static class PartitionRouting
{
    /// <summary>The partition for a key: FNV-1a 64 of its bytes modulo the partition count.</summary>
    public static uint PartitionForKey(ReadOnlySpan<byte> key, uint partitions)
    {
        ArgumentOutOfRangeException.ThrowIfZero(partitions);
        return (uint)(Fnv1a.Hash64(key) % partitions);
    }

    /// <summary>The partition for a text key (hashed as UTF-8).</summary>
    public static uint PartitionForKey(string key, uint partitions)
    {
        ArgumentOutOfRangeException.ThrowIfZero(partitions);
        return (uint)(Fnv1a.Hash64(key) % partitions);
    }
}
