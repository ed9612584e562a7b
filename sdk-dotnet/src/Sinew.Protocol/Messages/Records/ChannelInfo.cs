// Record ChannelInfo: one queue or stream in a Topology.
using MessagePack;
using Sinew.Protocol.Encoding;

namespace Sinew.Protocol.Messages;

/// <summary>A queue or stream in the catalogue.</summary>
/// <param name="Kind">Queue or stream.</param>
/// <param name="Topic">Its topic.</param>
/// <param name="Group">Its group, if any.</param>
/// <param name="Partitions">Its partition count.</param>
/// <param name="RoutingVersion">The version to stamp on publishes routed with this information.</param>
/// <param name="Owners">Per partition, an index into the topology's brokers; absent when one broker owns all.</param>
public sealed record ChannelInfo(
    ChannelKind Kind,
    string Topic,
    string? Group,
    uint Partitions,
    ulong RoutingVersion,
    IReadOnlyList<uint>? Owners = null) : IRecordCodec
{
    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(6);
        BodyWriter.Enum(ref writer, (byte)Kind);
        BodyWriter.Str(ref writer, Topic);
        BodyWriter.OptionalStr(ref writer, Group);
        writer.Write(Partitions);
        writer.Write(RoutingVersion);
        if (Owners is null)
        {
            writer.WriteNil();
        }
        else
        {
            BodyWriter.U32List(ref writer, Owners);
        }
    }

    internal static ChannelInfo Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("channels[]");
        var value = new ChannelInfo(
            reader.Enum<ChannelKind>(ref n, "channels.kind"),
            reader.Str(ref n, "channels.topic"),
            reader.OptionalStr(ref n, "channels.group"),
            reader.U32(ref n, "channels.partitions"),
            reader.U64(ref n, "channels.routing_version"),
            reader.OptionalList(ref n, "channels.owners", static (ref BodyReader r) => r.U32Element("channels.owners")));
        reader.CloseRecord(n);
        return value;
    }
}
