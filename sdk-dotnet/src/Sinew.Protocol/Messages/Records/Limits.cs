// Record Limits: the limits a broker announces in HelloOk.
using MessagePack;
using Sinew.Protocol.Encoding;

namespace Sinew.Protocol.Messages;

/// <summary>Limits both sides observe for the session.</summary>
/// <param name="MaxFrameBytes">Largest frame body either side may send.</param>
/// <param name="MaxBatchMessages">Most messages in one <see cref="PublishBatch"/>.</param>
/// <param name="MaxHeaders">Most headers on one message.</param>
/// <param name="MaxPrefetch">Largest prefetch a subscription may ask for.</param>
public sealed record Limits(uint MaxFrameBytes, uint MaxBatchMessages, uint MaxHeaders, uint MaxPrefetch) : IRecordCodec
{
    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(4);
        writer.Write(MaxFrameBytes);
        writer.Write(MaxBatchMessages);
        writer.Write(MaxHeaders);
        writer.Write(MaxPrefetch);
    }

    internal static Limits Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("limits");
        var value = new Limits(
            reader.U32(ref n, "limits.max_frame_bytes"),
            reader.U32(ref n, "limits.max_batch_messages"),
            reader.U32(ref n, "limits.max_headers"),
            reader.U32(ref n, "limits.max_prefetch"));
        reader.CloseRecord(n);
        return value;
    }
}
