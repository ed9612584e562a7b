// The fixed 16-byte frame header: layout, parsing and writing.
using System.Buffers.Binary;

namespace Sinew.Protocol.Framing;

/// <summary>The header in front of every frame body. All integers are big-endian.</summary>
/// <param name="Version">Protocol version the body is encoded in.</param>
/// <param name="Opcode">What the frame is (may be a value this version does not define).</param>
/// <param name="Flags">Flag bits.</param>
/// <param name="RequestId">Correlates replies with requests; 0 means no reply wanted.</param>
/// <param name="BodyLength">Length of the body that follows, in bytes.</param>
public readonly record struct FrameHeader(byte Version, Opcode Opcode, FrameFlags Flags, uint RequestId, uint BodyLength)
{
    /// <summary>Header size in bytes.</summary>
    public const int Size = 16;

    /// <summary>The first magic byte, ASCII <c>S</c>.</summary>
    public const byte Magic0 = 0x53;

    /// <summary>The second magic byte, ASCII <c>N</c>.</summary>
    public const byte Magic1 = 0x4E;

    /// <summary>Writes the header into the first 16 bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"A frame header needs {Size} bytes.", nameof(destination));
        }

        destination[0] = Magic0;
        destination[1] = Magic1;
        destination[2] = Version;
        destination[3] = (byte)Opcode;
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)Flags);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], RequestId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], BodyLength);
    }

    /// <summary>Parses and checks a header: magic, version and the body length limit. Flags and the
    /// opcode are checked later, once the body has arrived, so a reader can skip an unknown op.</summary>
    /// <param name="source">At least 16 bytes.</param>
    /// <param name="maxBodyLength">The receiver's frame size limit.</param>
    /// <param name="reserved">The reserved header bytes, which must be zero.</param>
    /// <exception cref="FrameDecodeException">The header is unusable.</exception>
    public static FrameHeader Parse(ReadOnlySpan<byte> source, uint maxBodyLength, out ushort reserved)
    {
        if (source.Length < Size)
        {
            throw new FrameDecodeException(DecodeErrorKind.TruncatedHeader, $"{source.Length} of {Size} header bytes");
        }

        if (source[0] != Magic0 || source[1] != Magic1)
        {
            throw new FrameDecodeException(DecodeErrorKind.BadMagic,
                $"the frame starts with 0x{source[0]:x2} 0x{source[1]:x2}, not 'SN': the peer does not speak the Sinew protocol");
        }

        var version = source[2];
        if (!ProtocolVersions.IsSupported(version))
        {
            throw new FrameDecodeException(DecodeErrorKind.UnsupportedVersion,
                $"version {version} is not supported (supported: {ProtocolVersions.Min}..{ProtocolVersions.Max})");
        }

        var bodyLength = BinaryPrimitives.ReadUInt32BigEndian(source[12..]);
        if (bodyLength > maxBodyLength)
        {
            throw new FrameDecodeException(DecodeErrorKind.FrameTooLarge,
                $"body of {bodyLength} bytes exceeds the limit of {maxBodyLength}");
        }

        reserved = BinaryPrimitives.ReadUInt16BigEndian(source[6..]);
        return new FrameHeader(
            version,
            (Opcode)source[3],
            (FrameFlags)BinaryPrimitives.ReadUInt16BigEndian(source[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[8..]),
            bodyLength);
    }
}
