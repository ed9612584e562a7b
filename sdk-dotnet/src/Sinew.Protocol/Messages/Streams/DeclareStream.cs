// DeclareStream (0x12): create or confirm a stream.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>Creates a stream or confirms an existing one. Absent settings mean the broker's default.</summary>
/// <param name="Topic">The stream's topic.</param>
/// <param name="Group">Its group.</param>
/// <param name="Partitions">Partition count.</param>
/// <param name="Durability">Durability tier.</param>
/// <param name="Retention">Retention limits.</param>
public sealed record DeclareStream(
    string Topic,
    string? Group = null,
    uint? Partitions = null,
    StreamDurability? Durability = null,
    Retention? Retention = null) : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.DeclareStream;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(5);
        BodyWriter.Str(ref writer, Topic);
        BodyWriter.OptionalStr(ref writer, Group);
        BodyWriter.OptionalU32(ref writer, Partitions);
        BodyWriter.OptionalEnum(ref writer, (byte?)Durability);
        BodyWriter.OptionalRecord(ref writer, Retention);
    }

    internal static DeclareStream Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("DeclareStream");
        var value = new DeclareStream(
            reader.Str(ref n, "topic"),
            reader.OptionalStr(ref n, "group"),
            reader.OptionalU32(ref n, "partitions"),
            reader.OptionalEnum<StreamDurability>(ref n, "durability"),
            reader.OptionalRecord(ref n, "retention", Messages.Retention.Read));
        reader.CloseRecord(n);
        return value;
    }
}
