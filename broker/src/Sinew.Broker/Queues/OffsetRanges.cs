// A set of message offsets kept as sorted, disjoint ranges: settled messages come in long runs, so a stretch of
// a backlog that was mostly settled costs a few ranges, not one entry per message.
namespace Sinew.Broker.Queues;

internal sealed class OffsetRanges
{
    // Sorted by start, disjoint and not adjacent; End is exclusive.
    private readonly List<(long Start, long End)> _ranges = [];

    /// <summary>How many offsets the set holds.</summary>
    public long Count { get; private set; }

    public IReadOnlyList<(long Start, long End)> Ranges => _ranges;

    public bool Contains(long offset)
    {
        var index = IndexAtOrBefore(offset);
        return index >= 0 && offset < _ranges[index].End;
    }

    public void Add(long offset) => AddRange(offset, offset + 1);

    /// <summary>Adds the offsets from <paramref name="start"/> to <paramref name="end"/> (exclusive).</summary>
    public void AddRange(long start, long end)
    {
        if (start >= end)
        {
            return;
        }

        // Merge with every range that overlaps or touches [start, end).
        var index = IndexAtOrBefore(start);
        if (index < 0 || _ranges[index].End < start)
        {
            index++;
        }

        var mergedStart = start;
        var mergedEnd = end;
        var removed = 0;
        while (index + removed < _ranges.Count && _ranges[index + removed].Start <= end)
        {
            var (s, e) = _ranges[index + removed];
            Count -= e - s;
            mergedStart = Math.Min(mergedStart, s);
            mergedEnd = Math.Max(mergedEnd, e);
            removed++;
        }

        _ranges.RemoveRange(index, removed);
        _ranges.Insert(index, (mergedStart, mergedEnd));
        Count += mergedEnd - mergedStart;
    }

    /// <summary>Removes <paramref name="offset"/> if present.</summary>
    public bool Remove(long offset)
    {
        var index = IndexAtOrBefore(offset);
        if (index < 0 || offset >= _ranges[index].End)
        {
            return false;
        }

        var (start, end) = _ranges[index];
        _ranges.RemoveAt(index);
        if (offset + 1 < end)
        {
            _ranges.Insert(index, (offset + 1, end));
        }

        if (start < offset)
        {
            _ranges.Insert(index, (start, offset));
        }

        Count--;
        return true;
    }

    public void Clear()
    {
        _ranges.Clear();
        Count = 0;
    }

    // The index of the last range starting at or before the offset, or -1.
    private int IndexAtOrBefore(long offset)
    {
        int low = 0, high = _ranges.Count - 1, found = -1;
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            if (_ranges[middle].Start <= offset)
            {
                found = middle;
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return found;
    }
}
