// Record NackItem: how to fail, retry or delay one delivery.
using MessagePack;
using Sinew.Protocol.Encoding;

namespace Sinew.Protocol.Messages;

/// <summary>One delivery in a <see cref="Nack"/>.</summary>
/// <param name="DeliveryId">The delivery.</param>
/// <param name="Requeue">True to retry; false to fail (dead-letter).</param>
/// <param name="NotBeforeMs">With a requeue: not before this unix-ms time.</param>
/// <param name="DelayMs">With a requeue: not before this long from now.</param>
/// <param name="Reason">Error text kept on the dead-lettered copy.</param>
public sealed record NackItem(ulong DeliveryId, bool Requeue, ulong? NotBeforeMs = null, ulong? DelayMs = null, string? Reason = null)
    : IRecordCodec
{
    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(5);
        writer.Write(DeliveryId);
        writer.Write(Requeue);
        BodyWriter.OptionalU64(ref writer, NotBeforeMs);
        BodyWriter.OptionalU64(ref writer, DelayMs);
        BodyWriter.OptionalStr(ref writer, Reason);
    }

    internal static NackItem Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("items[]");
        var value = new NackItem(
            reader.U64(ref n, "items.delivery_id"),
            reader.Bool(ref n, "items.requeue"),
            reader.OptionalU64(ref n, "items.not_before_ms"),
            reader.OptionalU64(ref n, "items.delay_ms"),
            reader.OptionalStr(ref n, "items.reason"));
        reader.CloseRecord(n);
        return value;
    }
}
