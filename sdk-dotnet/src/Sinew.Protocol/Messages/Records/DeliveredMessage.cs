// Record DeliveredMessage: one message as the broker delivers it.
using MessagePack;
using Sinew.Protocol.Encoding;

namespace Sinew.Protocol.Messages;

/// <summary>A delivered message.</summary>
/// <param name="DeliveryId">Session-unique id used to settle it.</param>
/// <param name="Partition">Its partition.</param>
/// <param name="Offset">Its offset in that partition.</param>
/// <param name="Attempt">1 on the first delivery, one more on each redelivery.</param>
/// <param name="PublishedAtMs">When the broker stored it (unix ms).</param>
/// <param name="Payload">The body.</param>
/// <param name="ContentType">Its content type.</param>
/// <param name="Headers">User headers, plus <c>sinew.*</c> metadata where the broker added some.</param>
public sealed record DeliveredMessage(
    ulong DeliveryId,
    uint Partition,
    ulong Offset,
    uint Attempt,
    ulong PublishedAtMs,
    ReadOnlyMemory<byte> Payload,
    string? ContentType = null,
    IReadOnlyDictionary<string, string>? Headers = null) : IRecordCodec
{
    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(8);
        writer.Write(DeliveryId);
        writer.Write(Partition);
        writer.Write(Offset);
        writer.Write(Attempt);
        writer.Write(PublishedAtMs);
        BodyWriter.Bin(ref writer, Payload);
        BodyWriter.OptionalStr(ref writer, ContentType);
        BodyWriter.OptionalStringMap(ref writer, Headers);
    }

    internal static DeliveredMessage Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("messages[]");
        var value = new DeliveredMessage(
            reader.U64(ref n, "messages.delivery_id"),
            reader.U32(ref n, "messages.partition"),
            reader.U64(ref n, "messages.offset"),
            reader.U32(ref n, "messages.attempt"),
            reader.U64(ref n, "messages.published_at_ms"),
            reader.Bin(ref n, "messages.payload"),
            reader.OptionalStr(ref n, "messages.content_type"),
            reader.OptionalStringMap(ref n, "messages.headers"));
        reader.CloseRecord(n);
        return value;
    }
}
