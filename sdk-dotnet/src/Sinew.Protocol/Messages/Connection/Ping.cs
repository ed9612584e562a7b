// Ping (0x03): a heartbeat probe from either side.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>A heartbeat probe; answered by <see cref="Pong"/> with the same request id.</summary>
public sealed record Ping : IWireMessage, IRecordCodec
{
    /// <summary>The one instance; the op has no fields.</summary>
    public static readonly Ping Instance = new();

    /// <inheritdoc />
    public Opcode Opcode => Opcode.Ping;

    void IRecordCodec.Write(ref MessagePackWriter writer) => writer.WriteArrayHeader(0);

    internal static Ping Read(ref BodyReader reader)
    {
        reader.CloseRecord(reader.OpenRecord("Ping"));
        return Instance;
    }
}
