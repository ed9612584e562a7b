// Record BrokerInfo: one broker in a Topology.
using MessagePack;
using Sinew.Protocol.Encoding;

namespace Sinew.Protocol.Messages;

/// <summary>A broker and how to reach it.</summary>
/// <param name="BrokerId">Stable broker id.</param>
/// <param name="Endpoints"><c>host:port</c> addresses, in order of preference.</param>
public sealed record BrokerInfo(string BrokerId, IReadOnlyList<string> Endpoints) : IRecordCodec
{
    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(2);
        BodyWriter.Str(ref writer, BrokerId);
        BodyWriter.StrList(ref writer, Endpoints);
    }

    internal static BrokerInfo Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("brokers[]");
        var value = new BrokerInfo(
            reader.Str(ref n, "brokers.broker_id"),
            reader.List(ref n, "brokers.endpoints", static (ref BodyReader r) => r.StrElement("brokers.endpoints")));
        reader.CloseRecord(n);
        return value;
    }
}
