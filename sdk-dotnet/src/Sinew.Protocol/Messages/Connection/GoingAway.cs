// GoingAway (0x06): the broker's drain notice.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>A drain notice: the broker will close connections at <paramref name="DeadlineAtMs"/>.</summary>
/// <param name="DeadlineAtMs">When connections will be closed (unix ms).</param>
/// <param name="Message">Why.</param>
/// <param name="ReconnectTo">An endpoint (<c>host:port</c>) to reconnect to.</param>
public sealed record GoingAway(ulong DeadlineAtMs, string Message, string? ReconnectTo = null) : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.GoingAway;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(3);
        writer.Write(DeadlineAtMs);
        BodyWriter.Str(ref writer, Message);
        BodyWriter.OptionalStr(ref writer, ReconnectTo);
    }

    internal static GoingAway Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("GoingAway");
        var value = new GoingAway(
            reader.U64(ref n, "deadline_at_ms"),
            reader.Str(ref n, "message"),
            reader.OptionalStr(ref n, "reconnect_to"));
        reader.CloseRecord(n);
        return value;
    }
}
