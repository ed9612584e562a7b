// Writes field values in canonical form: nil for absent optionals, shortest integer and string forms,
// string maps as sorted key/value pairs. The generated message codecs call these field by field and
// write lists as an array header and a loop.
using System.Buffers;
using System.Text;
using MessagePack;

namespace Sinew.Protocol.Encoding;

internal static class BodyWriter
{
    // Every unsigned width goes through ulong: MessagePackWriter writes the shortest form of the value
    // whatever its declared width, so the bytes are the same.
    public static void OptionalUnsigned(ref MessagePackWriter writer, ulong? value)
    {
        if (value is { } v)
        {
            writer.Write(v);
        }
        else
        {
            writer.WriteNil();
        }
    }

    public static void OptionalBool(ref MessagePackWriter writer, bool? value)
    {
        if (value is { } v)
        {
            writer.Write(v);
        }
        else
        {
            writer.WriteNil();
        }
    }

    public static void Enum(ref MessagePackWriter writer, byte value) => writer.Write(value);

    public static void OptionalEnum(ref MessagePackWriter writer, byte? value)
    {
        if (value is { } v)
        {
            writer.Write(v);
        }
        else
        {
            writer.WriteNil();
        }
    }

    /// <summary>Writes a str, refusing strings that are not valid Unicode rather than substituting U+FFFD.</summary>
    public static void Str(ref MessagePackWriter writer, string value)
    {
        int length;
        try
        {
            length = Utf8Strict.Instance.GetByteCount(value);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("A string contains an unpaired surrogate and cannot be sent as UTF-8.", e);
        }

        writer.WriteStringHeader(length);
        var span = writer.GetSpan(length);
        Utf8Strict.Instance.GetBytes(value, span);
        writer.Advance(length);
    }

    public static void OptionalStr(ref MessagePackWriter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNil();
        }
        else
        {
            Str(ref writer, value);
        }
    }

    public static void Bin(ref MessagePackWriter writer, ReadOnlyMemory<byte> value) => writer.Write(value.Span);

    public static void OptionalBin(ref MessagePackWriter writer, ReadOnlyMemory<byte>? value)
    {
        if (value is { } v)
        {
            writer.Write(v.Span);
        }
        else
        {
            writer.WriteNil();
        }
    }

    public static void OptionalStringMap(ref MessagePackWriter writer, IReadOnlyDictionary<string, string>? map)
    {
        if (map is null)
        {
            writer.WriteNil();
        }
        else
        {
            StringMap(ref writer, map);
        }
    }

    public static void StringMap(ref MessagePackWriter writer, IReadOnlyDictionary<string, string> map)
    {
        var count = map.Count;
        writer.WriteArrayHeader(count * 2);
        if (count == 0)
        {
            return;
        }

        var pairs = ArrayPool<KeyValuePair<string, string>>.Shared.Rent(count);
        try
        {
            var n = 0;
            foreach (var pair in map)
            {
                pairs[n++] = pair;
            }

            Array.Sort(pairs, 0, n, PairOrder.Instance);
            for (var i = 0; i < n; i++)
            {
                Str(ref writer, pairs[i].Key);
                Str(ref writer, pairs[i].Value);
            }
        }
        finally
        {
            ArrayPool<KeyValuePair<string, string>>.Shared.Return(pairs, clearArray: true);
        }
    }

    public static void Record<T>(ref MessagePackWriter writer, T value) where T : IRecordCodec => value.Write(ref writer);

    public static void OptionalRecord<T>(ref MessagePackWriter writer, T? value) where T : class, IRecordCodec
    {
        if (value is null)
        {
            writer.WriteNil();
        }
        else
        {
            value.Write(ref writer);
        }
    }

    private sealed class PairOrder : IComparer<KeyValuePair<string, string>>
    {
        public static readonly PairOrder Instance = new();

        public int Compare(KeyValuePair<string, string> x, KeyValuePair<string, string> y) =>
            CodePointOrder.Instance.Compare(x.Key, y.Key);
    }
}
