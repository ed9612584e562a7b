// DeclareQueue (0x10): create or confirm a queue.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>Creates a queue or confirms an existing one. Absent settings mean the broker's default.</summary>
/// <param name="Topic">The queue's topic.</param>
/// <param name="Group">Its group (a namespace); absent for none.</param>
/// <param name="Partitions">Partition count, at least 1.</param>
/// <param name="DeadLetter">Where dead messages go.</param>
/// <param name="MaxRetries">Redeliveries allowed after the first delivery.</param>
/// <param name="DefaultTtlMs">TTL for messages published without one.</param>
/// <param name="LeaseMs">How long a delivery is held before it returns to ready.</param>
public sealed record DeclareQueue(
    string Topic,
    string? Group = null,
    uint? Partitions = null,
    DeadLetterPolicy? DeadLetter = null,
    uint? MaxRetries = null,
    ulong? DefaultTtlMs = null,
    ulong? LeaseMs = null) : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.DeclareQueue;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(7);
        BodyWriter.Str(ref writer, Topic);
        BodyWriter.OptionalStr(ref writer, Group);
        BodyWriter.OptionalU32(ref writer, Partitions);
        BodyWriter.OptionalRecord(ref writer, DeadLetter);
        BodyWriter.OptionalU32(ref writer, MaxRetries);
        BodyWriter.OptionalU64(ref writer, DefaultTtlMs);
        BodyWriter.OptionalU64(ref writer, LeaseMs);
    }

    internal static DeclareQueue Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("DeclareQueue");
        var value = new DeclareQueue(
            reader.Str(ref n, "topic"),
            reader.OptionalStr(ref n, "group"),
            reader.OptionalU32(ref n, "partitions"),
            reader.OptionalRecord(ref n, "dead_letter", DeadLetterPolicy.Read),
            reader.OptionalU32(ref n, "max_retries"),
            reader.OptionalU64(ref n, "default_ttl_ms"),
            reader.OptionalU64(ref n, "lease_ms"));
        reader.CloseRecord(n);
        return value;
    }
}
