// A resizable byte buffer that records are appended to before a flush writes them to disk.
using System.Buffers;

namespace Sinew.Broker.Storage;

/// <summary>A byte buffer rented from the shared pool that grows by doubling. Its owner gives the array back
/// with <see cref="ReleaseIfEmpty"/> once writing stops, so a partition that is not being written to keeps no
/// buffer and idle partitions cost little memory however many there are. Not thread-safe.</summary>
internal sealed class GrowableBuffer : IDisposable
{
    private const int InitialCapacity = 64 * 1024;
    private byte[] _array = [];

    public int Count { get; private set; }

    public ReadOnlySpan<byte> WrittenSpan => _array.AsSpan(0, Count);

    public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, Count);

    /// <summary>Reserves <paramref name="length"/> bytes at the end and returns them to be filled.</summary>
    public Span<byte> Reserve(int length)
    {
        if (Count + length > _array.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(Math.Max(_array.Length * 2, InitialCapacity), Count + length));
            _array.AsSpan(0, Count).CopyTo(larger);
            Release();
            _array = larger;
        }

        var span = _array.AsSpan(Count, length);
        Count += length;
        return span;
    }

    /// <summary>Empties the buffer, keeping its array for the next batch unless it grew large for one burst.</summary>
    public void Clear()
    {
        Count = 0;
        if (_array.Length > 8 << 20)
        {
            Release();
        }
    }

    /// <summary>Gives the array back to the pool when nothing is written in it.</summary>
    public void ReleaseIfEmpty()
    {
        if (Count == 0)
        {
            Release();
        }
    }

    public void Dispose()
    {
        Count = 0;
        Release();
    }

    private void Release()
    {
        if (_array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = [];
        }
    }
}
