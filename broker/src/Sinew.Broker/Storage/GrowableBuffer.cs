// A resizable byte buffer that records are appended to before a flush writes them to disk.
using System.Buffers;

namespace Sinew.Broker.Storage;

/// <summary>A byte buffer rented from the shared pool that grows by doubling. Not thread-safe.</summary>
internal sealed class GrowableBuffer : IDisposable
{
    private byte[] _array;

    public GrowableBuffer(int initialCapacity = 64 * 1024)
    {
        _array = ArrayPool<byte>.Shared.Rent(initialCapacity);
    }

    public int Count { get; private set; }

    public ReadOnlySpan<byte> WrittenSpan => _array.AsSpan(0, Count);

    public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, Count);

    /// <summary>Reserves <paramref name="length"/> bytes at the end and returns them to be filled.</summary>
    public Span<byte> Reserve(int length)
    {
        if (Count + length > _array.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_array.Length * 2, Count + length));
            _array.AsSpan(0, Count).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_array);
            _array = larger;
        }

        var span = _array.AsSpan(Count, length);
        Count += length;
        return span;
    }

    public void Clear()
    {
        Count = 0;
        // Give a buffer that grew large for one burst back to the pool.
        if (_array.Length > 8 << 20)
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = ArrayPool<byte>.Shared.Rent(64 * 1024);
        }
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_array);
        _array = [];
        Count = 0;
    }
}
