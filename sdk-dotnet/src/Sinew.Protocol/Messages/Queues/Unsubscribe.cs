// Unsubscribe (0x33): end a subscription.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>Ends a subscription; its unsettled deliveries return to the queue. Answered by <see cref="Ok"/>.</summary>
/// <param name="SubscriptionId">The subscription.</param>
public sealed record Unsubscribe(ulong SubscriptionId) : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.Unsubscribe;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(1);
        writer.Write(SubscriptionId);
    }

    internal static Unsubscribe Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("Unsubscribe");
        var value = new Unsubscribe(reader.U64(ref n, "subscription_id"));
        reader.CloseRecord(n);
        return value;
    }
}
