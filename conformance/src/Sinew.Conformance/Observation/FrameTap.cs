// Splits one direction of a relayed connection into frames as the bytes pass through, and tells the
// observer which op each frame carried. The tap only reads: the relay forwards the same bytes unchanged, so
// a frame the tap cannot read (raw cases send garbage on purpose) is still delivered as it was sent.
using System.Buffers;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Conformance.Observation;

/// <summary>One direction of one relayed connection: its unread bytes and whether they are still frames.</summary>
internal sealed class FrameTap(Action<FrameHeader, IWireMessage?> onFrame)
{
    // Frames up to the protocol's largest limit are read whole; a header announcing more is taken as the
    // start of bytes that are not frames at all.
    private const uint LargestBody = 64 * 1024 * 1024;

    private byte[] _pending = new byte[64 * 1024];
    private int _length;
    private bool _lostSync;

    /// <summary>Whether the bytes stopped making sense as frames (after that nothing more is reported).</summary>
    public bool LostSync => _lostSync;

    /// <summary>Feeds the next bytes of the stream and reports every frame they complete.</summary>
    public void Feed(ReadOnlySpan<byte> bytes)
    {
        if (_lostSync)
        {
            return;
        }

        Append(bytes);
        var offset = 0;
        while (_length - offset >= FrameHeader.Size)
        {
            FrameHeader header;
            ushort reserved;
            try
            {
                header = FrameHeader.Parse(_pending.AsSpan(offset, FrameHeader.Size), LargestBody, out reserved);
            }
            catch (FrameDecodeException)
            {
                _lostSync = true;
                _length = 0;
                return;
            }

            var frameLength = FrameHeader.Size + (int)header.BodyLength;
            if (_length - offset < frameLength)
            {
                break;
            }

            var body = new ReadOnlySequence<byte>(_pending, offset + FrameHeader.Size, (int)header.BodyLength);
            onFrame(header, TryDecode(header, reserved, body));
            offset += frameLength;
        }

        if (offset > 0)
        {
            _pending.AsSpan(offset, _length - offset).CopyTo(_pending);
            _length -= offset;
        }
    }

    private static IWireMessage? TryDecode(FrameHeader header, ushort reserved, ReadOnlySequence<byte> body)
    {
        try
        {
            return FrameDecoder.DecodeBody(header, reserved, body);
        }
        catch (FrameDecodeException)
        {
            // A well-framed but malformed body (a raw case's bad frame): its op is known, its fields are not.
            return null;
        }
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (_pending.Length - _length < bytes.Length)
        {
            var grown = new byte[Math.Max(_pending.Length * 2, _length + bytes.Length)];
            _pending.AsSpan(0, _length).CopyTo(grown);
            _pending = grown;
        }

        bytes.CopyTo(_pending.AsSpan(_length));
        _length += bytes.Length;
    }
}
