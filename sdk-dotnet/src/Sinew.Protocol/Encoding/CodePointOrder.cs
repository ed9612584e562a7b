// The order string-map keys are written in: by Unicode code point, which equals UTF-8 byte order.
using System.Text;

namespace Sinew.Protocol.Encoding;

/// <summary>Compares strings by Unicode code points, which orders them exactly as their UTF-8 bytes
/// compare. Ordinal comparison of .NET strings compares UTF-16 code units, which disagrees for
/// characters above U+FFFF versus U+E000..U+FFFF.</summary>
public sealed class CodePointOrder : IComparer<string>
{
    /// <summary>The shared instance.</summary>
    public static readonly CodePointOrder Instance = new();

    /// <inheritdoc />
    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        var a = x.AsSpan();
        var b = y.AsSpan();
        while (!a.IsEmpty && !b.IsEmpty)
        {
            if (a[0] == b[0] && !char.IsSurrogate(a[0]))
            {
                a = a[1..];
                b = b[1..];
                continue;
            }

            Rune.DecodeFromUtf16(a, out var ra, out var la);
            Rune.DecodeFromUtf16(b, out var rb, out var lb);
            if (ra != rb)
            {
                return ra.Value.CompareTo(rb.Value);
            }

            a = a[la..];
            b = b[lb..];
        }

        return a.Length.CompareTo(b.Length) switch
        {
            0 => 0,
            _ => a.IsEmpty ? -1 : 1,
        };
    }
}
