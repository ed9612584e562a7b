// DeclareQueueOk (0x11): a queue's effective settings.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>A queue's effective settings, defaults resolved.</summary>
/// <param name="Created">True if the request created the queue.</param>
/// <param name="Partitions">Partition count.</param>
/// <param name="DeadLetter">Dead-letter policy.</param>
/// <param name="MaxRetries">Redeliveries allowed after the first delivery.</param>
/// <param name="DefaultTtlMs">Default TTL; absent when messages do not expire by default.</param>
/// <param name="LeaseMs">Lease length.</param>
public sealed record DeclareQueueOk(
    bool Created,
    uint Partitions,
    DeadLetterPolicy DeadLetter,
    uint MaxRetries,
    ulong? DefaultTtlMs,
    ulong LeaseMs) : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.DeclareQueueOk;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(6);
        writer.Write(Created);
        writer.Write(Partitions);
        ((IRecordCodec)DeadLetter).Write(ref writer);
        writer.Write(MaxRetries);
        BodyWriter.OptionalU64(ref writer, DefaultTtlMs);
        writer.Write(LeaseMs);
    }

    internal static DeclareQueueOk Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("DeclareQueueOk");
        var value = new DeclareQueueOk(
            reader.Bool(ref n, "created"),
            reader.U32(ref n, "partitions"),
            reader.Record(ref n, "dead_letter", DeadLetterPolicy.Read),
            reader.U32(ref n, "max_retries"),
            reader.OptionalU64(ref n, "default_ttl_ms"),
            reader.U64(ref n, "lease_ms"));
        reader.CloseRecord(n);
        return value;
    }
}
