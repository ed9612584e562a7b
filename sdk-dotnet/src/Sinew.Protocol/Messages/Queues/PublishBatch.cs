// PublishBatch (0x21): publish several messages to one queue or stream in one frame.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>Publishes several messages to one queue or stream. Validated as a whole: if any message is
/// invalid, none is stored.</summary>
/// <param name="Topic">The queue's or stream's topic.</param>
/// <param name="Group">Its group.</param>
/// <param name="Messages">The messages, at most the session's batch limit.</param>
/// <param name="RoutingVersion">The topology version the client routed with.</param>
public sealed record PublishBatch(string Topic, string? Group, IReadOnlyList<PublishMessage> Messages, ulong? RoutingVersion = null)
    : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.PublishBatch;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(4);
        BodyWriter.Str(ref writer, Topic);
        BodyWriter.OptionalStr(ref writer, Group);
        BodyWriter.RecordList(ref writer, Messages);
        BodyWriter.OptionalU64(ref writer, RoutingVersion);
    }

    internal static PublishBatch Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("PublishBatch");
        var value = new PublishBatch(
            reader.Str(ref n, "topic"),
            reader.OptionalStr(ref n, "group"),
            reader.List(ref n, "messages", PublishMessage.Read),
            reader.OptionalU64(ref n, "routing_version"));
        reader.CloseRecord(n);
        return value;
    }
}
