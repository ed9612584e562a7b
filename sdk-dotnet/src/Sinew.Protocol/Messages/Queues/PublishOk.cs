// PublishOk (0x22): confirms a publish once it is durable.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>Confirms a publish once every message of it is on disk.</summary>
/// <param name="Results">One per message, in order.</param>
public sealed record PublishOk(IReadOnlyList<PublishResult> Results) : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.PublishOk;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(1);
        BodyWriter.RecordList(ref writer, Results);
    }

    internal static PublishOk Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("PublishOk");
        var value = new PublishOk(reader.List(ref n, "results", PublishResult.Read));
        reader.CloseRecord(n);
        return value;
    }
}
