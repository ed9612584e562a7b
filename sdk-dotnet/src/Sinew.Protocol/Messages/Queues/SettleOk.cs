// SettleOk (0x43): the result of a settlement frame that asked for one.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>Answers a settlement frame that had a request id, once its effects are durable.</summary>
/// <param name="Failures">The items that failed; empty when all succeeded.</param>
public sealed record SettleOk(IReadOnlyList<SettleFailure> Failures) : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.SettleOk;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(1);
        BodyWriter.RecordList(ref writer, Failures);
    }

    internal static SettleOk Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("SettleOk");
        var value = new SettleOk(reader.List(ref n, "failures", SettleFailure.Read));
        reader.CloseRecord(n);
        return value;
    }
}
