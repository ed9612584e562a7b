// ReconcileOk (0x54): the broker's verdict on each listed subscription.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>The verdict on each subscription listed in <see cref="Reconcile"/>.</summary>
/// <param name="Results">One per listed subscription.</param>
public sealed record ReconcileOk(IReadOnlyList<ReconcileResult> Results) : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.ReconcileOk;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(1);
        BodyWriter.RecordList(ref writer, Results);
    }

    internal static ReconcileOk Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("ReconcileOk");
        var value = new ReconcileOk(reader.List(ref n, "results", ReconcileResult.Read));
        reader.CloseRecord(n);
        return value;
    }
}
