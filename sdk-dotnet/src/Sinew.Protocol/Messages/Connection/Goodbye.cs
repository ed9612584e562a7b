// Goodbye (0x05): a clean close from the client.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>A clean close: the broker returns what the session holds, ends it without a grace window and answers <see cref="Ok"/>.</summary>
public sealed record Goodbye : IWireMessage, IRecordCodec
{
    /// <summary>The one instance; the op has no fields.</summary>
    public static readonly Goodbye Instance = new();

    /// <inheritdoc />
    public Opcode Opcode => Opcode.Goodbye;

    void IRecordCodec.Write(ref MessagePackWriter writer) => writer.WriteArrayHeader(0);

    internal static Goodbye Read(ref BodyReader reader)
    {
        reader.CloseRecord(reader.OpenRecord("Goodbye"));
        return Instance;
    }
}
