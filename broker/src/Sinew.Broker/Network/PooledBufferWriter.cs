// A send buffer rented from the shared array pool: it grows as frames are encoded into it and gives its array
// back once its bytes are written, so an idle connection holds no send buffer at all.
using System.Buffers;

namespace Sinew.Broker.Network;

/// <summary>An <see cref="IBufferWriter{T}"/> over pooled arrays. Not thread-safe.</summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>
{
    // Most frames a connection sends (answers, pongs, small deliveries) fit the first array.
    private const int MinimumSize = 4096;

    private byte[] _array = [];

    public int WrittenCount { get; private set; }

    public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, WrittenCount);

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (WrittenCount + count > _array.Length)
        {
            throw new InvalidOperationException("advanced past the end of the buffer");
        }

        WrittenCount += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _array.AsMemory(WrittenCount);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _array.AsSpan(WrittenCount);
    }

    /// <summary>Empties the buffer and returns its array to the pool.</summary>
    public void Release()
    {
        WrittenCount = 0;
        if (_array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = [];
        }
    }

    private void Reserve(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_array.Length - WrittenCount >= needed)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(MinimumSize, Math.Max(_array.Length * 2, WrittenCount + needed)));
        _array.AsSpan(0, WrittenCount).CopyTo(larger);
        if (_array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_array);
        }

        _array = larger;
    }
}
