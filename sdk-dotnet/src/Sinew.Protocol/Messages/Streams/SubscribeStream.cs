// SubscribeStream (0x31): attach a reader to a stream.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>Attaches a reader to a stream, either with a durable cursor or from a start position.</summary>
/// <param name="Topic">The stream's topic.</param>
/// <param name="Group">Its group.</param>
/// <param name="Partition">One partition; absent for all.</param>
/// <param name="AckMode">Manual or auto.</param>
/// <param name="Prefetch">Most unacknowledged deliveries at once.</param>
/// <param name="Cursor">Durable cursor name.</param>
/// <param name="Start">Where an ephemeral reader starts (default: latest).</param>
/// <param name="Filters">Header filters, all of which must match; <c>*</c> matches any run of characters.</param>
public sealed record SubscribeStream(
    string Topic,
    string? Group,
    uint? Partition,
    AckMode AckMode,
    uint Prefetch,
    string? Cursor = null,
    StreamStart? Start = null,
    IReadOnlyDictionary<string, string>? Filters = null) : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.SubscribeStream;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(8);
        BodyWriter.Str(ref writer, Topic);
        BodyWriter.OptionalStr(ref writer, Group);
        BodyWriter.OptionalU32(ref writer, Partition);
        BodyWriter.Enum(ref writer, (byte)AckMode);
        writer.Write(Prefetch);
        BodyWriter.OptionalStr(ref writer, Cursor);
        BodyWriter.OptionalRecord(ref writer, Start);
        BodyWriter.OptionalStringMap(ref writer, Filters);
    }

    internal static SubscribeStream Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("SubscribeStream");
        var value = new SubscribeStream(
            reader.Str(ref n, "topic"),
            reader.OptionalStr(ref n, "group"),
            reader.OptionalU32(ref n, "partition"),
            reader.Enum<AckMode>(ref n, "ack_mode"),
            reader.U32(ref n, "prefetch"),
            reader.OptionalStr(ref n, "cursor"),
            reader.OptionalRecord(ref n, "start", StreamStart.Read),
            reader.OptionalStringMap(ref n, "filters"));
        reader.CloseRecord(n);
        return value;
    }
}
