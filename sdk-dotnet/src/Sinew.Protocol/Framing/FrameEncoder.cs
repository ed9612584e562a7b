// Turns typed messages into frame bytes in canonical form.
using System.Buffers;
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Messages;

namespace Sinew.Protocol.Framing;

/// <summary>Encodes frames.</summary>
public static class FrameEncoder
{
    // The body is written first so its length is known when the header is written. The scratch
    // buffer is reused per thread, so steady-state encoding allocates nothing.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_body;

    /// <summary>Writes one frame carrying <paramref name="message"/> to <paramref name="output"/>.</summary>
    /// <param name="output">Where the frame goes.</param>
    /// <param name="message">The message.</param>
    /// <param name="requestId">Correlation id; 0 when no reply is wanted.</param>
    /// <param name="flags">Header flags; must be allowed on the message's op.</param>
    /// <param name="version">Protocol version to encode in.</param>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="ArgumentException">A flag is not allowed on the op, or a string is not valid Unicode.</exception>
    public static int Encode(IBufferWriter<byte> output, IWireMessage message, uint requestId = 0,
        FrameFlags flags = FrameFlags.None, byte version = ProtocolVersions.Max)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(message);
        var disallowed = flags & ~FrameFlagRules.AllowedOn(message.Opcode);
        if (disallowed != FrameFlags.None)
        {
            throw new ArgumentException($"Flags {disallowed} are not allowed on {message.Opcode}.", nameof(flags));
        }

        if (message is not IRecordCodec codec)
        {
            throw new ArgumentException($"{message.GetType().Name} is not a protocol message.", nameof(message));
        }

        var body = t_body ??= new ArrayBufferWriter<byte>(256);
        body.ResetWrittenCount();
        var writer = new MessagePackWriter(body);
        codec.Write(ref writer);
        writer.Flush();

        var header = new FrameHeader(version, message.Opcode, flags, requestId, (uint)body.WrittenCount);
        var total = FrameHeader.Size + body.WrittenCount;
        var destination = output.GetSpan(total);
        header.Write(destination);
        body.WrittenSpan.CopyTo(destination[FrameHeader.Size..]);
        output.Advance(total);

        // Do not keep a very large body buffer alive on an idle thread.
        if (body.Capacity > 1 << 20)
        {
            t_body = null;
        }

        return total;
    }

    /// <summary>Encodes one frame into a new array.</summary>
    public static byte[] EncodeToArray(IWireMessage message, uint requestId = 0, FrameFlags flags = FrameFlags.None,
        byte version = ProtocolVersions.Max)
    {
        var output = new ArrayBufferWriter<byte>();
        Encode(output, message, requestId, flags, version);
        return output.WrittenSpan.ToArray();
    }
}
