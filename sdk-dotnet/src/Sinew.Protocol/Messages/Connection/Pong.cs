// Pong (0x04): the answer to a Ping.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>The answer to a <see cref="Ping"/>.</summary>
public sealed record Pong : IWireMessage, IRecordCodec
{
    /// <summary>The one instance; the op has no fields.</summary>
    public static readonly Pong Instance = new();

    /// <inheritdoc />
    public Opcode Opcode => Opcode.Pong;

    void IRecordCodec.Write(ref MessagePackWriter writer) => writer.WriteArrayHeader(0);

    internal static Pong Read(ref BodyReader reader)
    {
        reader.CloseRecord(reader.OpenRecord("Pong"));
        return Instance;
    }
}
