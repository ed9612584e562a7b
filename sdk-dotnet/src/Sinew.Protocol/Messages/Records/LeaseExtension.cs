// Record LeaseExtension: keep one delivery longer.
using MessagePack;
using Sinew.Protocol.Encoding;

namespace Sinew.Protocol.Messages;

/// <summary>One delivery in an <see cref="ExtendLease"/>.</summary>
/// <param name="DeliveryId">The delivery.</param>
/// <param name="ExtendMs">New lease length from now; absent: the queue's lease length.</param>
public sealed record LeaseExtension(ulong DeliveryId, ulong? ExtendMs = null) : IRecordCodec
{
    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(2);
        writer.Write(DeliveryId);
        BodyWriter.OptionalU64(ref writer, ExtendMs);
    }

    internal static LeaseExtension Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("items[]");
        var value = new LeaseExtension(reader.U64(ref n, "items.delivery_id"), reader.OptionalU64(ref n, "items.extend_ms"));
        reader.CloseRecord(n);
        return value;
    }
}
