// Deliver (0x34): messages pushed to a subscription.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>Pushes one or more messages to a subscription.</summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="Messages">The messages.</param>
public sealed record Deliver(ulong SubscriptionId, IReadOnlyList<DeliveredMessage> Messages) : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.Deliver;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(2);
        writer.Write(SubscriptionId);
        BodyWriter.RecordList(ref writer, Messages);
    }

    internal static Deliver Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("Deliver");
        var value = new Deliver(
            reader.U64(ref n, "subscription_id"),
            reader.List(ref n, "messages", DeliveredMessage.Read));
        reader.CloseRecord(n);
        return value;
    }
}
