// Hello (0x01): the client's first frame, opening a session.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>Opens a session: offers protocol versions, identifies the client, and optionally
/// authenticates and resumes an earlier session.</summary>
/// <param name="MinVersion">Lowest protocol version the client speaks.</param>
/// <param name="MaxVersion">Highest protocol version the client speaks.</param>
/// <param name="ClientName">Library or application name.</param>
/// <param name="ClientVersion">Its version.</param>
/// <param name="Auth">Credentials, when the broker requires them.</param>
/// <param name="ResumeToken">Token of a session to resume.</param>
/// <param name="HeartbeatMs">Preferred heartbeat interval.</param>
public sealed record Hello(
    byte MinVersion,
    byte MaxVersion,
    string ClientName,
    string ClientVersion,
    Auth? Auth = null,
    ReadOnlyMemory<byte>? ResumeToken = null,
    ulong? HeartbeatMs = null) : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.Hello;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(7);
        writer.Write(MinVersion);
        writer.Write(MaxVersion);
        BodyWriter.Str(ref writer, ClientName);
        BodyWriter.Str(ref writer, ClientVersion);
        BodyWriter.OptionalRecord(ref writer, Auth);
        BodyWriter.OptionalBin(ref writer, ResumeToken);
        BodyWriter.OptionalU64(ref writer, HeartbeatMs);
    }

    internal static Hello Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("Hello");
        var value = new Hello(
            reader.U8(ref n, "min_version"),
            reader.U8(ref n, "max_version"),
            reader.Str(ref n, "client_name"),
            reader.Str(ref n, "client_version"),
            reader.OptionalRecord(ref n, "auth", Messages.Auth.Read),
            reader.OptionalBin(ref n, "resume_token"),
            reader.OptionalU64(ref n, "heartbeat_ms"));
        reader.CloseRecord(n);
        return value;
    }
}
