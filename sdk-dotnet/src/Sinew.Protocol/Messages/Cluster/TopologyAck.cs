// TopologyAck (0x52): the client applied a pushed topology.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>Tells the broker which topology generation the client applied. Not answered.</summary>
/// <param name="Generation">The generation applied.</param>
public sealed record TopologyAck(ulong Generation) : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.TopologyAck;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(1);
        writer.Write(Generation);
    }

    internal static TopologyAck Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("TopologyAck");
        var value = new TopologyAck(reader.U64(ref n, "generation"));
        reader.CloseRecord(n);
        return value;
    }
}
