// SubscribeOk (0x32): accepts a Subscribe or SubscribeStream.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>Accepts a subscription.</summary>
/// <param name="SubscriptionId">Session-unique id.</param>
/// <param name="Partitions">The partitions the subscription covers.</param>
public sealed record SubscribeOk(ulong SubscriptionId, IReadOnlyList<uint> Partitions) : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.SubscribeOk;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(2);
        writer.Write(SubscriptionId);
        BodyWriter.U32List(ref writer, Partitions);
    }

    internal static SubscribeOk Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("SubscribeOk");
        var value = new SubscribeOk(
            reader.U64(ref n, "subscription_id"),
            reader.List(ref n, "partitions", static (ref BodyReader r) => r.U32Element("partitions")));
        reader.CloseRecord(n);
        return value;
    }
}
