// Record PublishResult: where one published message was stored.
using MessagePack;
using Sinew.Protocol.Encoding;

namespace Sinew.Protocol.Messages;

/// <summary>The outcome of publishing one message.</summary>
/// <param name="Partition">The partition it was stored in.</param>
/// <param name="Offset">Its offset in that partition.</param>
/// <param name="Duplicate">True when it repeated an earlier publish with the same idempotency key.</param>
public sealed record PublishResult(uint Partition, ulong Offset, bool Duplicate) : IRecordCodec
{
    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(3);
        writer.Write(Partition);
        writer.Write(Offset);
        writer.Write(Duplicate);
    }

    internal static PublishResult Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("results[]");
        var value = new PublishResult(
            reader.U32(ref n, "results.partition"),
            reader.U64(ref n, "results.offset"),
            reader.Bool(ref n, "results.duplicate"));
        reader.CloseRecord(n);
        return value;
    }
}
