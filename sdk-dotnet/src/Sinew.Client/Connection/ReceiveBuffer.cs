// The read loop's buffer: bytes received but not yet cut into frames, in one pooled array.
using System.Buffers;
using System.Buffers.Binary;
using Sinew.Protocol.Framing;

namespace Sinew.Client.Connection;

/// <summary>Received bytes waiting to become frames. Complete frames are consumed from the front; the
/// unconsumed tail is moved to the start when room is needed, and the array grows to hold a frame larger than
/// itself. Not thread-safe: only the read loop (or the handshake before it) touches it.</summary>
internal sealed class ReceiveBuffer : IDisposable
{
    private const int MinimumRead = 8192;
    private readonly int _initialCapacity;
    private byte[] _buffer;
    private int _start;
    private int _end;

    public ReceiveBuffer(int initialCapacity = 64 * 1024)
    {
        _initialCapacity = initialCapacity;
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
    }

    /// <summary>The bytes not yet consumed.</summary>
    public ReadOnlySequence<byte> Data => new(_buffer, _start, _end - _start);

    /// <summary>Free space to receive into: enough for the rest of a partly received frame, and at least a
    /// useful amount for the next read.</summary>
    public Memory<byte> GetFreeMemory()
    {
        var buffered = _end - _start;
        var needed = MinimumRead;
        if (buffered >= FrameHeader.Size)
        {
            var frameLength = FrameHeader.Size + (long)BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(_start + 12, 4));
            needed = (int)Math.Max(needed, frameLength - buffered);
        }

        if (_buffer.Length - _end < needed)
        {
            if (_start > 0)
            {
                // Compacting first: the tail of a frame usually fits once consumed frames are dropped.
                _buffer.AsSpan(_start, buffered).CopyTo(_buffer);
                _start = 0;
                _end = buffered;
            }

            if (_buffer.Length - _end < needed)
            {
                var larger = ArrayPool<byte>.Shared.Rent(buffered + needed);
                _buffer.AsSpan(0, buffered).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }
        }

        return _buffer.AsMemory(_end);
    }

    public void Advance(int count) => _end += count;

    /// <summary>Drops <paramref name="count"/> bytes from the front. When nothing remains the array is reused
    /// from its start, and one that grew for a large frame is given back.</summary>
    public void Consume(int count)
    {
        _start += count;
        if (_start == _end)
        {
            _start = 0;
            _end = 0;
            if (_buffer.Length > 4 * _initialCapacity)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = ArrayPool<byte>.Shared.Rent(_initialCapacity);
            }
        }
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
