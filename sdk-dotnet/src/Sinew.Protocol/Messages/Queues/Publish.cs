// Publish (0x20): publish one message; the confirm flag asks for a PublishOk.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>Publishes one message to a queue or stream.</summary>
/// <param name="Topic">The queue's or stream's topic.</param>
/// <param name="Group">Its group.</param>
/// <param name="Message">The message.</param>
/// <param name="RoutingVersion">The topology version the client routed with.</param>
public sealed record Publish(string Topic, string? Group, PublishMessage Message, ulong? RoutingVersion = null)
    : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.Publish;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(4);
        BodyWriter.Str(ref writer, Topic);
        BodyWriter.OptionalStr(ref writer, Group);
        ((IRecordCodec)Message).Write(ref writer);
        BodyWriter.OptionalU64(ref writer, RoutingVersion);
    }

    internal static Publish Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("Publish");
        var value = new Publish(
            reader.Str(ref n, "topic"),
            reader.OptionalStr(ref n, "group"),
            reader.Record(ref n, "message", PublishMessage.Read),
            reader.OptionalU64(ref n, "routing_version"));
        reader.CloseRecord(n);
        return value;
    }
}
