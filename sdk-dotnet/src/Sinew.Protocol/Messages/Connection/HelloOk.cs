// HelloOk (0x02): the broker accepts a session.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>Accepts a session.</summary>
/// <param name="Version">The negotiated protocol version.</param>
/// <param name="ServerId">The broker's stable id.</param>
/// <param name="ServerVersion">The broker's software version.</param>
/// <param name="SessionId">This session's id; the same after a resume.</param>
/// <param name="ResumeToken">Token to resume this session after a broken connection.</param>
/// <param name="Resumed">Whether the Hello's resume token revived a dormant session.</param>
/// <param name="HeartbeatMs">Heartbeat interval both sides use; 0 disables heartbeats.</param>
/// <param name="Limits">Limits both sides observe.</param>
public sealed record HelloOk(
    byte Version,
    string ServerId,
    string ServerVersion,
    string SessionId,
    ReadOnlyMemory<byte> ResumeToken,
    bool Resumed,
    ulong HeartbeatMs,
    Limits Limits) : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.HelloOk;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(8);
        writer.Write(Version);
        BodyWriter.Str(ref writer, ServerId);
        BodyWriter.Str(ref writer, ServerVersion);
        BodyWriter.Str(ref writer, SessionId);
        BodyWriter.Bin(ref writer, ResumeToken);
        writer.Write(Resumed);
        writer.Write(HeartbeatMs);
        ((IRecordCodec)Limits).Write(ref writer);
    }

    internal static HelloOk Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("HelloOk");
        var value = new HelloOk(
            reader.U8(ref n, "version"),
            reader.Str(ref n, "server_id"),
            reader.Str(ref n, "server_version"),
            reader.Str(ref n, "session_id"),
            reader.Bin(ref n, "resume_token"),
            reader.Bool(ref n, "resumed"),
            reader.U64(ref n, "heartbeat_ms"),
            reader.Record(ref n, "limits", Messages.Limits.Read));
        reader.CloseRecord(n);
        return value;
    }
}
