// Topology (0x51): the catalogue of queues and streams, as a reply or a push.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>The catalogue: brokers, and every queue and stream with its partitions and owners.</summary>
/// <param name="Generation">Catalogue generation; increases with every change.</param>
/// <param name="Brokers">The brokers.</param>
/// <param name="Channels">Every queue and stream.</param>
public sealed record Topology(ulong Generation, IReadOnlyList<BrokerInfo> Brokers, IReadOnlyList<ChannelInfo> Channels)
    : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.Topology;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(3);
        writer.Write(Generation);
        BodyWriter.RecordList(ref writer, Brokers);
        BodyWriter.RecordList(ref writer, Channels);
    }

    internal static Topology Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("Topology");
        var value = new Topology(
            reader.U64(ref n, "generation"),
            reader.List(ref n, "brokers", BrokerInfo.Read),
            reader.List(ref n, "channels", ChannelInfo.Read));
        reader.CloseRecord(n);
        return value;
    }
}
