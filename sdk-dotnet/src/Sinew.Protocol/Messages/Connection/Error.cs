// Error (0x08): every failure the broker reports.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>A failure: a stable code, whether retrying may help, a message and optional details.</summary>
/// <param name="Code">The error code (see <see cref="Errors.ErrorCode"/>); unknown codes are kept as numbers.</param>
/// <param name="Retryable">Whether the same request may succeed later.</param>
/// <param name="Message">A human-readable explanation.</param>
/// <param name="Details">Machine-readable context; keys depend on the code.</param>
public sealed record Error(ushort Code, bool Retryable, string Message, IReadOnlyDictionary<string, string>? Details = null)
    : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.Error;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(4);
        writer.Write(Code);
        writer.Write(Retryable);
        BodyWriter.Str(ref writer, Message);
        BodyWriter.OptionalStringMap(ref writer, Details);
    }

    internal static Error Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("Error");
        var value = new Error(
            reader.U16(ref n, "code"),
            reader.Bool(ref n, "retryable"),
            reader.Str(ref n, "message"),
            reader.OptionalStringMap(ref n, "details"));
        reader.CloseRecord(n);
        return value;
    }
}
