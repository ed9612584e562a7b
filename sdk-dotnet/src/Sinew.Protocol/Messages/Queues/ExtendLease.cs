// ExtendLease (0x42): keep deliveries the consumer is still working on.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>Restarts the leases of deliveries the consumer is still working on.</summary>
/// <param name="Items">One per delivery.</param>
public sealed record ExtendLease(IReadOnlyList<LeaseExtension> Items) : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.ExtendLease;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(1);
        BodyWriter.RecordList(ref writer, Items);
    }

    internal static ExtendLease Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("ExtendLease");
        var value = new ExtendLease(reader.List(ref n, "items", LeaseExtension.Read));
        reader.CloseRecord(n);
        return value;
    }
}
