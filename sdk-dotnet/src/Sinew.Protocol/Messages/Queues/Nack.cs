// Nack (0x41): fail, retry or delay deliveries.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>Fails, retries or delays deliveries, each with its own options.</summary>
/// <param name="Items">One per delivery.</param>
public sealed record Nack(IReadOnlyList<NackItem> Items) : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.Nack;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(1);
        BodyWriter.RecordList(ref writer, Items);
    }

    internal static Nack Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("Nack");
        var value = new Nack(reader.List(ref n, "items", NackItem.Read));
        reader.CloseRecord(n);
        return value;
    }
}
