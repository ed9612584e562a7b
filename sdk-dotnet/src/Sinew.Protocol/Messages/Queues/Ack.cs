// Ack (0x40): settle deliveries as done.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>Settles deliveries as done (for streams: advances the cursor). With a request id the broker
/// answers <see cref="SettleOk"/> once durable.</summary>
/// <param name="DeliveryIds">The deliveries.</param>
public sealed record Ack(IReadOnlyList<ulong> DeliveryIds) : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.Ack;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(1);
        BodyWriter.U64List(ref writer, DeliveryIds);
    }

    internal static Ack Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("Ack");
        var value = new Ack(reader.List(ref n, "delivery_ids", static (ref BodyReader r) => r.U64Element("delivery_ids")));
        reader.CloseRecord(n);
        return value;
    }
}
