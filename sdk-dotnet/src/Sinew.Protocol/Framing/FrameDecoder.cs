// Turns frame bytes into typed messages, applying the specification's checks in its order.
using System.Buffers;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Messages;

namespace Sinew.Protocol.Framing;

/// <summary>Decodes frames.</summary>
public static class FrameDecoder
{
    /// <summary>Decodes input that must be exactly one complete frame.</summary>
    /// <exception cref="FrameDecodeException">The input is not a valid frame.</exception>
    /// <exception cref="ArgumentException">The input continues past the end of the frame; read a stream
    /// of frames with <see cref="FrameReader"/>.</exception>
    public static Frame Decode(ReadOnlyMemory<byte> input, int maxFrameBytes) =>
        Decode(new ReadOnlySequence<byte>(input), maxFrameBytes);

    /// <inheritdoc cref="Decode(ReadOnlyMemory{byte}, int)"/>
    public static Frame Decode(ReadOnlySequence<byte> input, int maxFrameBytes)
    {
        if (input.Length < FrameHeader.Size)
        {
            throw new FrameDecodeException(DecodeErrorKind.TruncatedHeader, $"{input.Length} of {FrameHeader.Size} header bytes");
        }

        var buffer = input;
        if (!FrameReader.TryReadFrame(ref buffer, maxFrameBytes, out var header, out var reserved, out var body))
        {
            throw new FrameDecodeException(DecodeErrorKind.TruncatedBody,
                $"{input.Length - FrameHeader.Size} of {header.BodyLength} body bytes");
        }

        if (!buffer.IsEmpty)
        {
            throw new ArgumentException(
                $"The input continues {buffer.Length} byte(s) past the end of the frame; Decode takes exactly one frame.", nameof(input));
        }

        return new Frame(header, DecodeBody(header, reserved, body));
    }

    /// <summary>Checks the opcode and flags of a header whose body has arrived, then decodes the body.</summary>
    /// <remarks>An <see cref="DecodeErrorKind.UnknownOpcode"/> failure leaves the stream in sync: the caller
    /// has already consumed the body and may carry on.</remarks>
    /// <exception cref="FrameDecodeException">The frame is invalid.</exception>
    public static IWireMessage DecodeBody(FrameHeader header, ushort reserved, ReadOnlySequence<byte> body)
    {
        if (!Enum.IsDefined(header.Opcode))
        {
            throw new FrameDecodeException(DecodeErrorKind.UnknownOpcode, $"opcode 0x{(byte)header.Opcode:x2} is not defined in version {header.Version}");
        }

        if (reserved != 0)
        {
            throw new FrameDecodeException(DecodeErrorKind.BadFlags, $"reserved header bytes are 0x{reserved:x4}, not zero");
        }

        var disallowed = header.Flags & ~FrameFlagRules.AllowedOn(header.Opcode);
        if (disallowed != FrameFlags.None)
        {
            throw new FrameDecodeException(DecodeErrorKind.BadFlags, $"flags 0x{(ushort)disallowed:x4} are not allowed on {header.Opcode}");
        }

        BodyStructure.Validate(body);
        var reader = new BodyReader(body);
        return MessageReaders.Read(header.Opcode, ref reader);
    }
}
