// Ok (0x07): the generic success reply.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>The success reply to <see cref="Goodbye"/> and <see cref="Unsubscribe"/>.</summary>
public sealed record Ok : IWireMessage, IRecordCodec
{
    /// <summary>The one instance; the op has no fields.</summary>
    public static readonly Ok Instance = new();

    /// <inheritdoc />
    public Opcode Opcode => Opcode.Ok;

    void IRecordCodec.Write(ref MessagePackWriter writer) => writer.WriteArrayHeader(0);

    internal static Ok Read(ref BodyReader reader)
    {
        reader.CloseRecord(reader.OpenRecord("Ok"));
        return Instance;
    }
}
