// Record StreamStart: where an ephemeral stream reader begins.
using MessagePack;
using Sinew.Protocol.Encoding;

namespace Sinew.Protocol.Messages;

/// <summary>A stream start position.</summary>
/// <param name="Kind">Which kind of position.</param>
/// <param name="Value">Offset, record count or unix-ms time, depending on <paramref name="Kind"/>.</param>
public sealed record StreamStart(StreamStartKind Kind, ulong? Value = null) : IRecordCodec
{
    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(2);
        BodyWriter.Enum(ref writer, (byte)Kind);
        BodyWriter.OptionalU64(ref writer, Value);
    }

    internal static StreamStart Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("start");
        var value = new StreamStart(
            reader.Enum<StreamStartKind>(ref n, "start.kind"),
            reader.OptionalU64(ref n, "start.value"));
        reader.CloseRecord(n);
        return value;
    }
}
