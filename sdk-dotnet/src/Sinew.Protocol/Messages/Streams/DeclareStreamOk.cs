// DeclareStreamOk (0x13): a stream's effective settings.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>A stream's effective settings.</summary>
/// <param name="Created">True if the request created the stream.</param>
/// <param name="Partitions">Partition count.</param>
/// <param name="Durability">Durability tier.</param>
/// <param name="Retention">Retention limits (absent members: unlimited).</param>
public sealed record DeclareStreamOk(bool Created, uint Partitions, StreamDurability Durability, Retention Retention)
    : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.DeclareStreamOk;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(4);
        writer.Write(Created);
        writer.Write(Partitions);
        BodyWriter.Enum(ref writer, (byte)Durability);
        ((IRecordCodec)Retention).Write(ref writer);
    }

    internal static DeclareStreamOk Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("DeclareStreamOk");
        var value = new DeclareStreamOk(
            reader.Bool(ref n, "created"),
            reader.U32(ref n, "partitions"),
            reader.Enum<StreamDurability>(ref n, "durability"),
            reader.Record(ref n, "retention", Messages.Retention.Read));
        reader.CloseRecord(n);
        return value;
    }
}
