// Reconcile (0x53): after a resume, the client lists the subscriptions it holds.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>Lists the client's subscriptions after a resumed handshake.</summary>
/// <param name="Policy">Conservative or restore.</param>
/// <param name="Subscriptions">Every subscription the client holds.</param>
public sealed record Reconcile(ReconcilePolicy Policy, IReadOnlyList<ReconcileEntry> Subscriptions) : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.Reconcile;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(2);
        BodyWriter.Enum(ref writer, (byte)Policy);
        BodyWriter.RecordList(ref writer, Subscriptions);
    }

    internal static Reconcile Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("Reconcile");
        var value = new Reconcile(
            reader.Enum<ReconcilePolicy>(ref n, "policy"),
            reader.List(ref n, "subscriptions", ReconcileEntry.Read));
        reader.CloseRecord(n);
        return value;
    }
}
