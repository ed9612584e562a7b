// FNV-1a 64-bit: the partition-key hash every Sinew client and broker computes identically.
using System.Text;

namespace Sinew.Protocol.Routing;

/// <summary>The FNV-1a 64-bit hash (specification section 8.2).</summary>
public static class Fnv1a
{
    /// <summary>The offset basis.</summary>
    public const ulong OffsetBasis = 0xcbf29ce484222325;

    /// <summary>The FNV prime.</summary>
    public const ulong Prime = 0x100000001b3;

    /// <summary>Hashes bytes.</summary>
    public static ulong Hash64(ReadOnlySpan<byte> data)
    {
        var hash = OffsetBasis;
        foreach (var b in data)
        {
            hash ^= b;
            hash = unchecked(hash * Prime);
        }

        return hash;
    }

    /// <summary>Hashes a text key as its UTF-8 bytes.</summary>
    public static ulong Hash64(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var max = System.Text.Encoding.UTF8.GetMaxByteCount(key.Length);
        if (max <= 512)
        {
            Span<byte> buffer = stackalloc byte[max];
            return Hash64(buffer[..System.Text.Encoding.UTF8.GetBytes(key, buffer)]);
        }

        return Hash64(System.Text.Encoding.UTF8.GetBytes(key));
    }
}
