// Reads the fields of a body (or a nested record) in wire order and turns every problem into a
// FrameDecodeException of the kind the specification names. Call only after BodyStructure.Validate,
// which guarantees the value is complete.
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using MessagePack;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Encoding;

/// <summary>Reads one element of a list.</summary>
internal delegate T ElementReader<out T>(ref BodyReader reader);

/// <summary>A field-by-field reader over a MessagePack body.</summary>
/// <remarks>A record is an array; <see cref="OpenRecord"/> returns how many elements it has, and each
/// field read takes that count by reference. A field past the end of the array is absent: fine when
/// optional, <see cref="DecodeErrorKind.MissingField"/> when required. <see cref="CloseRecord"/> skips
/// fields appended by newer protocol revisions.</remarks>
internal ref struct BodyReader
{
    private MessagePackReader _reader;

    public BodyReader(ReadOnlySequence<byte> body)
    {
        _reader = new MessagePackReader(body);
    }

    public int OpenRecord(string what)
    {
        if (_reader.NextMessagePackType != MessagePackType.Array)
        {
            throw WrongType(what, "an array", _reader.NextMessagePackType);
        }

        return _reader.ReadArrayHeader();
    }

    public void CloseRecord(int remaining)
    {
        for (; remaining > 0; remaining--)
        {
            _reader.Skip();
        }
    }

    // ---- presence -------------------------------------------------------------------------------

    /// <summary>Consumes a nil and reports absence; throws when a required field is absent.</summary>
    private bool Present(ref int remaining, string field, bool required)
    {
        if (remaining == 0)
        {
            return required ? throw Missing(field) : false;
        }

        remaining--;
        if (_reader.TryReadNil())
        {
            return required ? throw Missing(field) : false;
        }

        return true;
    }

    private bool ValuePresent(string field) => _reader.TryReadNil() ? throw Missing(field) : true;

    // ---- fields ---------------------------------------------------------------------------------

    public byte U8(ref int remaining, string field) =>
        Present(ref remaining, field, true) ? (byte)Unsigned(field, byte.MaxValue) : default;

    public byte? OptionalU8(ref int remaining, string field) =>
        Present(ref remaining, field, false) ? (byte)Unsigned(field, byte.MaxValue) : null;

    public ushort U16(ref int remaining, string field) =>
        Present(ref remaining, field, true) ? (ushort)Unsigned(field, ushort.MaxValue) : default;

    public ushort? OptionalU16(ref int remaining, string field) =>
        Present(ref remaining, field, false) ? (ushort)Unsigned(field, ushort.MaxValue) : null;

    public uint U32(ref int remaining, string field) =>
        Present(ref remaining, field, true) ? (uint)Unsigned(field, uint.MaxValue) : default;

    public uint? OptionalU32(ref int remaining, string field) =>
        Present(ref remaining, field, false) ? (uint)Unsigned(field, uint.MaxValue) : null;

    public ulong U64(ref int remaining, string field) =>
        Present(ref remaining, field, true) ? Unsigned(field, ulong.MaxValue) : default;

    public ulong? OptionalU64(ref int remaining, string field) =>
        Present(ref remaining, field, false) ? Unsigned(field, ulong.MaxValue) : null;

    public bool Bool(ref int remaining, string field) =>
        Present(ref remaining, field, true) && BoolValue(field);

    public bool? OptionalBool(ref int remaining, string field) =>
        Present(ref remaining, field, false) ? BoolValue(field) : null;

    public string Str(ref int remaining, string field) =>
        Present(ref remaining, field, true) ? StrValue(field) : string.Empty;

    public string? OptionalStr(ref int remaining, string field) =>
        Present(ref remaining, field, false) ? StrValue(field) : null;

    public ReadOnlyMemory<byte> Bin(ref int remaining, string field) =>
        Present(ref remaining, field, true) ? BinValue(field) : default;

    // The explicit cast matters: a bare null would convert to ReadOnlyMemory<byte> through byte[] and
    // turn an absent field into an empty one.
    public ReadOnlyMemory<byte>? OptionalBin(ref int remaining, string field) =>
        Present(ref remaining, field, false) ? BinValue(field) : (ReadOnlyMemory<byte>?)null;

    public IReadOnlyDictionary<string, string> StringMap(ref int remaining, string field) =>
        Present(ref remaining, field, true) ? StringMapValue(field) : default!;

    public IReadOnlyDictionary<string, string>? OptionalStringMap(ref int remaining, string field) =>
        Present(ref remaining, field, false) ? StringMapValue(field) : null;

    public TEnum Enum<TEnum>(ref int remaining, string field) where TEnum : unmanaged, System.Enum =>
        Present(ref remaining, field, true) ? EnumValue<TEnum>(field) : default;

    public TEnum? OptionalEnum<TEnum>(ref int remaining, string field) where TEnum : unmanaged, System.Enum =>
        Present(ref remaining, field, false) ? EnumValue<TEnum>(field) : null;

    public T Record<T>(ref int remaining, string field, ElementReader<T> read) =>
        Present(ref remaining, field, true) ? read(ref this) : default!;

    public T? OptionalRecord<T>(ref int remaining, string field, ElementReader<T> read) where T : class =>
        Present(ref remaining, field, false) ? read(ref this) : null;

    public IReadOnlyList<T> List<T>(ref int remaining, string field, ElementReader<T> element) =>
        Present(ref remaining, field, true) ? ListValue(field, element) : [];

    public IReadOnlyList<T>? OptionalList<T>(ref int remaining, string field, ElementReader<T> element) =>
        Present(ref remaining, field, false) ? ListValue(field, element) : null;

    // ---- list elements (always required; a record element is read by the record's own Read) -------

    public byte U8Element(string list) => ValuePresent(list) ? (byte)Unsigned(list, byte.MaxValue) : default;

    public ushort U16Element(string list) => ValuePresent(list) ? (ushort)Unsigned(list, ushort.MaxValue) : default;

    public uint U32Element(string list) => ValuePresent(list) ? (uint)Unsigned(list, uint.MaxValue) : default;

    public ulong U64Element(string list) => ValuePresent(list) ? Unsigned(list, ulong.MaxValue) : default;

    public bool BoolElement(string list) => ValuePresent(list) && BoolValue(list);

    public string StrElement(string list) => ValuePresent(list) ? StrValue(list) : string.Empty;

    public ReadOnlyMemory<byte> BinElement(string list) => ValuePresent(list) ? BinValue(list) : default;

    public IReadOnlyDictionary<string, string> StringMapElement(string list) =>
        ValuePresent(list) ? StringMapValue(list) : default!;

    public TEnum EnumElement<TEnum>(string list) where TEnum : unmanaged, System.Enum =>
        ValuePresent(list) ? EnumValue<TEnum>(list) : default;

    public IReadOnlyList<T> ListElement<T>(string list, ElementReader<T> element) =>
        ValuePresent(list) ? ListValue(list, element) : [];

    // ---- values ---------------------------------------------------------------------------------

    private ulong Unsigned(string field, ulong max)
    {
        var type = _reader.NextMessagePackType;
        if (type != MessagePackType.Integer)
        {
            throw WrongType(field, "an unsigned integer", type);
        }

        ulong value;
        if (_reader.NextCode == MessagePackCode.UInt64)
        {
            value = _reader.ReadUInt64();
        }
        else
        {
            var signed = _reader.ReadInt64();
            if (signed < 0)
            {
                throw new FrameDecodeException(DecodeErrorKind.WrongType, $"{field} is negative ({signed})");
            }

            value = (ulong)signed;
        }

        if (value > max)
        {
            throw new FrameDecodeException(DecodeErrorKind.WrongType, $"{field} is {value}, above its maximum {max}");
        }

        return value;
    }

    private bool BoolValue(string field)
    {
        var type = _reader.NextMessagePackType;
        return type == MessagePackType.Boolean ? _reader.ReadBoolean() : throw WrongType(field, "a bool", type);
    }

    private string StrValue(string field)
    {
        var type = _reader.NextMessagePackType;
        if (type != MessagePackType.String)
        {
            throw WrongType(field, "a str", type);
        }

        var bytes = _reader.ReadStringSequence()!.Value;
        try
        {
            return bytes.IsSingleSegment
                ? Utf8Strict.Instance.GetString(bytes.FirstSpan)
                : Utf8Strict.Instance.GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException e)
        {
            throw new FrameDecodeException(DecodeErrorKind.InvalidValue, $"{field} is not valid UTF-8", e);
        }
    }

    private ReadOnlyMemory<byte> BinValue(string field)
    {
        var type = _reader.NextMessagePackType;
        if (type != MessagePackType.Binary)
        {
            throw WrongType(field, "bin", type);
        }

        // Copied so the message outlives the receive buffer it was decoded from.
        return _reader.ReadBytes()!.Value.ToArray();
    }

    private Dictionary<string, string> StringMapValue(string field)
    {
        var type = _reader.NextMessagePackType;
        if (type != MessagePackType.Array)
        {
            throw WrongType(field, "a string map (an array of key/value strs)", type);
        }

        var count = _reader.ReadArrayHeader();
        if (count % 2 != 0)
        {
            throw new FrameDecodeException(DecodeErrorKind.InvalidValue, $"{field} has a key without a value ({count} elements)");
        }

        var map = new Dictionary<string, string>(count / 2, StringComparer.Ordinal);
        for (var i = 0; i < count; i += 2)
        {
            var key = StrElement(field);
            var value = StrElement(field);
            if (!map.TryAdd(key, value))
            {
                throw new FrameDecodeException(DecodeErrorKind.InvalidValue, $"{field} names the key '{key}' twice");
            }
        }

        return map;
    }

    private TEnum EnumValue<TEnum>(string field) where TEnum : unmanaged, System.Enum
    {
        var raw = Unsigned(field, ulong.MaxValue);
        if (raw <= byte.MaxValue)
        {
            var small = (byte)raw;
            var value = Unsafe.As<byte, TEnum>(ref small);
            if (System.Enum.IsDefined(value))
            {
                return value;
            }
        }

        throw new FrameDecodeException(DecodeErrorKind.InvalidValue, $"{field} is {raw}, not a defined {typeof(TEnum).Name}");
    }

    private T[] ListValue<T>(string field, ElementReader<T> element)
    {
        var type = _reader.NextMessagePackType;
        if (type != MessagePackType.Array)
        {
            throw WrongType(field, "an array", type);
        }

        var count = _reader.ReadArrayHeader();
        if (count == 0)
        {
            return [];
        }

        var items = new T[count];
        for (var i = 0; i < count; i++)
        {
            if (_reader.NextMessagePackType == MessagePackType.Nil)
            {
                throw new FrameDecodeException(DecodeErrorKind.MissingField, $"{field}[{i}] is nil");
            }

            items[i] = element(ref this);
        }

        return items;
    }

    private static FrameDecodeException Missing(string field) =>
        new(DecodeErrorKind.MissingField, $"required field {field} is missing");

    private static FrameDecodeException WrongType(string field, string expected, MessagePackType actual) =>
        new(DecodeErrorKind.WrongType, $"{field} must be {expected}, not {Describe(actual)}");

    private static string Describe(MessagePackType type) => type switch
    {
        MessagePackType.Integer => "an integer",
        MessagePackType.Nil => "nil",
        MessagePackType.Boolean => "a bool",
        MessagePackType.Float => "a float",
        MessagePackType.String => "a str",
        MessagePackType.Binary => "bin",
        MessagePackType.Array => "an array",
        MessagePackType.Map => "a map",
        MessagePackType.Extension => "an extension type",
        _ => "an unknown type",
    };
}
