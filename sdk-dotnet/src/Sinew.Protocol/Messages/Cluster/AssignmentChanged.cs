// AssignmentChanged (0x36): the partitions a consumer-group member now owns.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>Tells a consumer-group member which partitions it now owns.</summary>
/// <param name="SubscriptionId">The member's subscription.</param>
/// <param name="Generation">Assignment generation; increases with every change.</param>
/// <param name="Partitions">The partitions now assigned (possibly none).</param>
public sealed record AssignmentChanged(ulong SubscriptionId, ulong Generation, IReadOnlyList<uint> Partitions)
    : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.AssignmentChanged;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(3);
        writer.Write(SubscriptionId);
        writer.Write(Generation);
        BodyWriter.U32List(ref writer, Partitions);
    }

    internal static AssignmentChanged Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("AssignmentChanged");
        var value = new AssignmentChanged(
            reader.U64(ref n, "subscription_id"),
            reader.U64(ref n, "generation"),
            reader.List(ref n, "partitions", static (ref BodyReader r) => r.U32Element("partitions")));
        reader.CloseRecord(n);
        return value;
    }
}
