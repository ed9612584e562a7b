// TopologyRequest (0x50): asks for the catalogue.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>Asks for the catalogue of queues and streams; answered by <see cref="Topology"/>.</summary>
public sealed record TopologyRequest : IWireMessage, IRecordCodec
{
    /// <summary>The one instance; the op has no fields.</summary>
    public static readonly TopologyRequest Instance = new();

    /// <inheritdoc />
    public Opcode Opcode => Opcode.TopologyRequest;

    void IRecordCodec.Write(ref MessagePackWriter writer) => writer.WriteArrayHeader(0);

    internal static TopologyRequest Read(ref BodyReader reader)
    {
        reader.CloseRecord(reader.OpenRecord("TopologyRequest"));
        return Instance;
    }
}
