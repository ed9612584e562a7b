// Streaming frame extraction from a receive buffer, as a connection loop needs it.
using System.Buffers;

namespace Sinew.Protocol.Framing;

/// <summary>Cuts frames out of a stream of bytes.</summary>
public static class FrameReader
{
    /// <summary>Takes one complete frame off the front of <paramref name="buffer"/> when there is one.</summary>
    /// <remarks>The header is checked (magic, version, size limit) as soon as its 16 bytes have arrived,
    /// before the body, so an oversized or foreign frame is refused without waiting for it. The body is
    /// returned undecoded; pass it to <see cref="FrameDecoder.DecodeBody"/>. The returned body is a slice of
    /// <paramref name="buffer"/> and is only valid as long as the buffer is.</remarks>
    /// <returns>False when more bytes are needed; <paramref name="buffer"/> is then unchanged.</returns>
    /// <exception cref="FrameDecodeException">The header is unusable; the connection cannot continue.</exception>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxFrameBytes, out FrameHeader header,
        out ushort reserved, out ReadOnlySequence<byte> body)
    {
        if (buffer.Length < FrameHeader.Size)
        {
            header = default;
            reserved = 0;
            body = default;
            return false;
        }

        Span<byte> headerBytes = stackalloc byte[FrameHeader.Size];
        buffer.Slice(0, FrameHeader.Size).CopyTo(headerBytes);
        header = FrameHeader.Parse(headerBytes, (uint)maxFrameBytes, out reserved);

        var frameLength = FrameHeader.Size + (long)header.BodyLength;
        if (buffer.Length < frameLength)
        {
            body = default;
            return false;
        }

        body = buffer.Slice(FrameHeader.Size, header.BodyLength);
        buffer = buffer.Slice(frameLength);
        return true;
    }
}
