// SubscriptionClosed (0x35): the broker ended a subscription on its own.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>The broker ended a subscription, and says why.</summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="Reason">Why.</param>
/// <param name="Message">Human-readable detail.</param>
public sealed record SubscriptionClosed(ulong SubscriptionId, CloseReason Reason, string Message) : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.SubscriptionClosed;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(3);
        writer.Write(SubscriptionId);
        BodyWriter.Enum(ref writer, (byte)Reason);
        BodyWriter.Str(ref writer, Message);
    }

    internal static SubscriptionClosed Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("SubscriptionClosed");
        var value = new SubscriptionClosed(
            reader.U64(ref n, "subscription_id"),
            reader.Enum<CloseReason>(ref n, "reason"),
            reader.Str(ref n, "message"));
        reader.CloseRecord(n);
        return value;
    }
}
