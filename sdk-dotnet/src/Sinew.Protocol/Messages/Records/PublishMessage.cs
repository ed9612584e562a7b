// Record PublishMessage: one message as a publisher sends it.
using MessagePack;
using Sinew.Protocol.Encoding;

namespace Sinew.Protocol.Messages;

/// <summary>A message being published.</summary>
/// <param name="Payload">The body, opaque to the broker.</param>
/// <param name="ContentType">For example <c>application/json</c>.</param>
/// <param name="Headers">User headers; keys starting with <c>sinew.</c> are reserved.</param>
/// <param name="PartitionKey">Routing key; the partition is FNV-1a 64 of it modulo the partition count.</param>
/// <param name="Partition">The partition the client routed to.</param>
/// <param name="NotBeforeMs">Do not deliver before this unix-ms time.</param>
/// <param name="DelayMs">Do not deliver before this long after the broker receives it.</param>
/// <param name="TtlMs">Expire this long after the broker receives it.</param>
/// <param name="ProducerId">Idempotency key: the producer.</param>
/// <param name="Sequence">Idempotency key: the producer's sequence number.</param>
public sealed record PublishMessage(
    ReadOnlyMemory<byte> Payload,
    string? ContentType = null,
    IReadOnlyDictionary<string, string>? Headers = null,
    ReadOnlyMemory<byte>? PartitionKey = null,
    uint? Partition = null,
    ulong? NotBeforeMs = null,
    ulong? DelayMs = null,
    ulong? TtlMs = null,
    string? ProducerId = null,
    ulong? Sequence = null) : IRecordCodec
{
    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(10);
        BodyWriter.Bin(ref writer, Payload);
        BodyWriter.OptionalStr(ref writer, ContentType);
        BodyWriter.OptionalStringMap(ref writer, Headers);
        BodyWriter.OptionalBin(ref writer, PartitionKey);
        BodyWriter.OptionalU32(ref writer, Partition);
        BodyWriter.OptionalU64(ref writer, NotBeforeMs);
        BodyWriter.OptionalU64(ref writer, DelayMs);
        BodyWriter.OptionalU64(ref writer, TtlMs);
        BodyWriter.OptionalStr(ref writer, ProducerId);
        BodyWriter.OptionalU64(ref writer, Sequence);
    }

    internal static PublishMessage Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("message");
        var value = new PublishMessage(
            reader.Bin(ref n, "message.payload"),
            reader.OptionalStr(ref n, "message.content_type"),
            reader.OptionalStringMap(ref n, "message.headers"),
            reader.OptionalBin(ref n, "message.partition_key"),
            reader.OptionalU32(ref n, "message.partition"),
            reader.OptionalU64(ref n, "message.not_before_ms"),
            reader.OptionalU64(ref n, "message.delay_ms"),
            reader.OptionalU64(ref n, "message.ttl_ms"),
            reader.OptionalStr(ref n, "message.producer_id"),
            reader.OptionalU64(ref n, "message.sequence"));
        reader.CloseRecord(n);
        return value;
    }
}
