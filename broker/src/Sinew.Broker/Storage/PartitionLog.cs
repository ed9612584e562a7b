// A partition's append-only log: a directory of segment files holding framed records, appended to
// in memory, written and fsynced in batches by the flusher (group commit), read back by LSN, and
// scanned on recovery.
using Microsoft.Win32.SafeHandles;

namespace Sinew.Broker.Storage;

/// <summary>Fills a record body; the state argument avoids allocating a closure per record.</summary>
internal delegate void RecordBodyWriter<in TState>(Span<byte> body, TState state);

/// <summary>A partition log. Appends are made by the owning partition under its own lock; flushes by
/// the flusher, never two at once for the same log; reads from any thread.</summary>
internal sealed class PartitionLog : IDisposable
{
    private readonly string _directory;
    private readonly long _segmentBytes;
    private readonly StorageFaults _faults;
    private readonly object _lock = new();
    private readonly List<Segment> _segments = [];
    private readonly List<long> _pendingRolls = [];
    private GrowableBuffer _pending = new();
    private GrowableBuffer _flushing = new();
    private long _pendingStartLsn;
    private long _appendedEnd;
    private long _durableEnd;
    private long _activeBaseLsn;
    private bool _disposed;

    private PartitionLog(string directory, long segmentBytes, StorageFaults faults)
    {
        _directory = directory;
        _segmentBytes = segmentBytes;
        _faults = faults;
    }

    /// <summary>The LSN just past the last appended record.</summary>
    public long AppendedEnd
    {
        get
        {
            lock (_lock)
            {
                return _appendedEnd;
            }
        }
    }

    /// <summary>The LSN up to which every record is fsynced.</summary>
    public long DurableEnd => Volatile.Read(ref _durableEnd);

    /// <summary>The LSN of the first byte still held in a segment file.</summary>
    public long StartLsn
    {
        get
        {
            lock (_lock)
            {
                return _segments.Count == 0 ? _appendedEnd : _segments[0].BaseLsn;
            }
        }
    }

    /// <summary>Whether the active segment is full, so the next append should start a new one.</summary>
    public bool NeedsRoll => _appendedEnd - _activeBaseLsn >= _segmentBytes;

    /// <summary>Opens the log in <paramref name="directory"/>, creating the directory if needed. Existing
    /// segments are opened but not read; call <see cref="Scan"/> to recover.</summary>
    public static PartitionLog Open(string directory, long segmentBytes, StorageFaults faults)
    {
        DirectorySync.CreateDirectory(directory);
        var log = new PartitionLog(directory, segmentBytes, faults);
        foreach (var path in Directory.GetFiles(directory, "*.seg").Order(StringComparer.Ordinal))
        {
            if (!Lsn.TryParseSegmentFileName(Path.GetFileName(path), out var baseLsn))
            {
                continue;
            }

            var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
            log._segments.Add(new Segment(baseLsn, path, handle, RandomAccess.GetLength(handle)));
        }

        if (log._segments.Count > 0)
        {
            var last = log._segments[^1];
            log._appendedEnd = log._durableEnd = log._pendingStartLsn = last.BaseLsn + last.Length;
            log._activeBaseLsn = last.BaseLsn;
        }

        return log;
    }

    /// <summary>Whether the log holds no segment at all (a new partition).</summary>
    public bool IsEmpty
    {
        get
        {
            lock (_lock)
            {
                return _segments.Count == 0 && _appendedEnd == 0;
            }
        }
    }

    // ---- appending ------------------------------------------------------------------------------

    /// <summary>Starts a new segment at the current end; its first record is a segment-start record.</summary>
    public void Roll(long nextOffset, long nowMs)
    {
        // One lock section: a flush must never see the boundary without the record that opens it.
        lock (_lock)
        {
            _activeBaseLsn = _appendedEnd;
            _pendingRolls.Add(_appendedEnd);
            Append(Records.SegmentStartSize, static (body, state) => Records.WriteSegmentStart(body, state.nextOffset, state.nowMs), (nextOffset, nowMs));
        }
    }

    /// <summary>Appends one record.</summary>
    /// <returns>The LSN of the record's first byte; the record ends at <see cref="AppendedEnd"/>.</returns>
    public long Append<TState>(int bodyLength, RecordBodyWriter<TState> write, TState state)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var lsn = _appendedEnd;
            var span = _pending.Reserve(RecordFraming.HeaderSize + bodyLength);
            var body = span[RecordFraming.HeaderSize..];
            write(body, state);
            RecordFraming.WriteHeader(span, body);
            _appendedEnd += RecordFraming.HeaderSize + bodyLength;
            return lsn;
        }
    }

    // ---- flushing -------------------------------------------------------------------------------

    /// <summary>Writes everything appended so far to the segment files and fsyncs them.</summary>
    /// <returns>The new durable end, or -1 when there was nothing to flush.</returns>
    /// <exception cref="Exception">Any failure to write, sync or create a file. The durable end does not
    /// move, and the batch is kept in front of what was appended since, so the next call writes the same
    /// bytes at the same positions again: a failed flush can neither leave a hole nor move a record.</exception>
    public long Flush()
    {
        long start, end;
        long[] rolls;
        lock (_lock)
        {
            if (_pending.Count == 0 || _disposed)
            {
                return -1;
            }

            (_pending, _flushing) = (_flushing, _pending);
            start = _pendingStartLsn;
            end = _appendedEnd;
            _pendingStartLsn = end;
            rolls = _pendingRolls.Count == 0 ? [] : [.. _pendingRolls];
            _pendingRolls.Clear();
        }

        try
        {
            WriteAndSync(_flushing.WrittenMemory, start, end, rolls);
        }
        catch
        {
            lock (_lock)
            {
                if (!_disposed)
                {
                    _pendingStartLsn = start;
                    _pendingRolls.InsertRange(0, rolls);
                    _pending.WrittenSpan.CopyTo(_flushing.Reserve(_pending.Count));
                    (_pending, _flushing) = (_flushing, _pending);
                }

                _flushing.Clear();
            }

            throw;
        }

        lock (_lock)
        {
            _flushing.Clear();

            // Nothing appended meanwhile: the partition has gone quiet, so neither buffer is kept.
            if (_pending.Count == 0)
            {
                _flushing.ReleaseIfEmpty();
                _pending.ReleaseIfEmpty();
            }
        }

        Volatile.Write(ref _durableEnd, end);
        return end;
    }

    private void WriteAndSync(ReadOnlyMemory<byte> data, long start, long end, long[] rolls)
    {
        var position = start;
        Segment? touched = null;
        foreach (var boundary in rolls.Append(end))
        {
            if (boundary > position)
            {
                Segment segment;
                lock (_lock)
                {
                    segment = SegmentFor(position);
                }

                var piece = data.Span.Slice((int)(position - start), (int)(boundary - position));
                _faults.Check(StorageOperation.Write, segment.Path);
                RandomAccess.Write(segment.Handle, piece, position - segment.BaseLsn);
                segment.Length = Math.Max(segment.Length, position - segment.BaseLsn + piece.Length);
                touched = segment;
                position = boundary;
            }

            if (boundary < end)
            {
                // The segment that just ended must be durable before any byte of the next one is
                // written: recovery relies on a torn region never spanning two segments.
                if (touched is not null)
                {
                    Sync(touched);
                }

                CreateSegment(boundary);
                touched = null;
            }
        }

        if (touched is not null)
        {
            Sync(touched);
        }
    }

    private void Sync(Segment segment)
    {
        _faults.Check(StorageOperation.Sync, segment.Path);
        RandomAccess.FlushToDisk(segment.Handle);
    }

    // ---- reading --------------------------------------------------------------------------------

    /// <summary>Reads and checks the record body at <paramref name="lsn"/>, which must be durable.</summary>
    public byte[] ReadBody(long lsn)
    {
        Segment segment;
        lock (_lock)
        {
            segment = SegmentFor(lsn);
        }

        Span<byte> header = stackalloc byte[RecordFraming.HeaderSize];
        ReadExactly(segment.Handle, header, lsn - segment.BaseLsn);
        if (!RecordFraming.TryReadHeader(header, out var length, out var crc))
        {
            throw new InvalidDataException($"no record at log position {lsn}");
        }

        var body = new byte[length];
        ReadExactly(segment.Handle, body, lsn - segment.BaseLsn + RecordFraming.HeaderSize);
        if (!RecordFraming.BodyMatches(body, crc))
        {
            throw new InvalidDataException($"the record at log position {lsn} fails its checksum");
        }

        return body;
    }

    /// <summary>Reads the bytes from <paramref name="lsn"/> on into <paramref name="destination"/>, stopping at
    /// <paramref name="limit"/> (which must be durable) and at the end of the segment holding <paramref name="lsn"/>,
    /// since no record spans two segments. Any thread may call it, outside the owner's lock.</summary>
    /// <returns>How many bytes were read: 0 only when <paramref name="lsn"/> is at <paramref name="limit"/>.</returns>
    public int ReadSequential(long lsn, long limit, Span<byte> destination)
    {
        Segment segment;
        long segmentEnd;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var index = _segments.FindLastIndex(s => s.BaseLsn <= lsn);
            if (index < 0)
            {
                throw new InvalidOperationException($"no segment holds log position {lsn}");
            }

            segment = _segments[index];
            segmentEnd = index + 1 < _segments.Count ? _segments[index + 1].BaseLsn : long.MaxValue;
        }

        var count = (int)Math.Min(destination.Length, Math.Min(limit, segmentEnd) - lsn);
        if (count <= 0)
        {
            return 0;
        }

        _faults.Check(StorageOperation.ReadBacklog, segment.Path);
        ReadExactly(segment.Handle, destination[..count], lsn - segment.BaseLsn);
        return count;
    }

    // ---- recovery -------------------------------------------------------------------------------

    /// <summary>Reads every record from <paramref name="fromLsn"/> to the end, handing each to
    /// <paramref name="onRecord"/>. A torn tail (a partial or damaged record with nothing valid after it,
    /// left by a crash before the fsync) is truncated away, but only past <paramref name="durableFloor"/>:
    /// bytes below it were known to be durable, so damage there, like damage followed by valid records,
    /// inside an older segment, or a gap between segments, is corruption and stops the scan. So is a log
    /// that ends before the floor.</summary>
    public ScanResult Scan(long fromLsn, long durableFloor, Action<long, ReadOnlyMemory<byte>> onRecord)
    {
        List<Segment> segments;
        lock (_lock)
        {
            segments = [.. _segments];
        }

        for (var index = 1; index < segments.Count; index++)
        {
            var previousEnd = segments[index - 1].BaseLsn + segments[index - 1].Length;
            if (segments[index].BaseLsn != previousEnd)
            {
                return ScanResult.Corrupt(previousEnd,
                    $"segment {Path.GetFileName(segments[index - 1].Path)} ends at log position {previousEnd} but the next segment, "
                    + $"{Path.GetFileName(segments[index].Path)}, starts at {segments[index].BaseLsn}: log bytes are missing");
            }
        }

        var lastNonEmpty = segments.FindLastIndex(s => s.Length > 0);
        var truncatedBytes = 0L;
        for (var index = 0; index < segments.Count; index++)
        {
            var segment = segments[index];
            var segmentEnd = segment.BaseLsn + segment.Length;
            if (segmentEnd <= fromLsn)
            {
                continue;
            }

            var isLast = index >= lastNonEmpty;
            var reader = new SegmentReader(segment.Handle, segment.Length);
            var position = Math.Max(0, fromLsn - segment.BaseLsn);
            while (position < segment.Length)
            {
                var lsn = segment.BaseLsn + position;
                var problem = reader.TryRead(position, out var body, out var next);
                if (problem is null)
                {
                    onRecord(lsn, body);
                    position = next;
                    continue;
                }

                if (!isLast)
                {
                    return ScanResult.Corrupt(lsn, $"{problem} in segment {Path.GetFileName(segment.Path)}, which is not the last");
                }

                if (lsn < durableFloor)
                {
                    return ScanResult.Corrupt(lsn, $"{problem} below log position {durableFloor}, up to which the log was durable");
                }

                if (reader.AnyValidRecordAfter(position + 1))
                {
                    return ScanResult.Corrupt(lsn, $"{problem}, followed by valid records");
                }

                // Torn tail: nothing valid after the damage, and past what was known to be durable.
                truncatedBytes += segment.Length - position;
                TruncateAt(segment, position);
                DropSegmentsAfter(segment);
                return ScanResult.Clean(truncatedBytes);
            }
        }

        var end = segments.Count == 0 ? 0 : segments[^1].BaseLsn + segments[^1].Length;
        if (end < durableFloor)
        {
            return ScanResult.Corrupt(end, $"the log ends at position {end} but was durable up to {durableFloor}: its end is missing");
        }

        return ScanResult.Clean(truncatedBytes);
    }

    /// <summary>Starts an empty log whose first segment records <paramref name="nextOffset"/>.</summary>
    public void StartFresh(long nextOffset, long nowMs)
    {
        lock (_lock)
        {
            if (_segments.Count > 0 || _appendedEnd != 0)
            {
                throw new InvalidOperationException("the log is not empty");
            }

            // The first segment is created by the first flush, like every later one, so a disk that cannot
            // take it fails that flush (which is retried) rather than the partition's opening.
            _pendingRolls.Add(0);
            _activeBaseLsn = 0;
            Append(Records.SegmentStartSize, static (body, state) => Records.WriteSegmentStart(body, state.nextOffset, state.nowMs), (nextOffset, nowMs));
        }
    }

    /// <summary>Deletes whole segments that end at or before <paramref name="lsn"/>, never the active one.</summary>
    public int DeleteSegmentsBefore(long lsn)
    {
        var deleted = new List<Segment>();
        lock (_lock)
        {
            while (_segments.Count > 1 && _segments[1].BaseLsn <= lsn && _segments[0].BaseLsn != _activeBaseLsn)
            {
                deleted.Add(_segments[0]);
                _segments.RemoveAt(0);
            }
        }

        foreach (var segment in deleted)
        {
            segment.Handle.Dispose();
            File.Delete(segment.Path);
        }

        return deleted.Count;
    }

    public int SegmentCount
    {
        get
        {
            lock (_lock)
            {
                return _segments.Count;
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var segment in _segments)
            {
                segment.Handle.Dispose();
            }

            _pending.Dispose();
            _flushing.Dispose();
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    private Segment SegmentFor(long lsn)
    {
        for (var i = _segments.Count - 1; i >= 0; i--)
        {
            if (_segments[i].BaseLsn <= lsn)
            {
                return _segments[i];
            }
        }

        throw new InvalidOperationException($"no segment holds log position {lsn}");
    }

    private void CreateSegment(long baseLsn)
    {
        lock (_lock)
        {
            // A flush that failed after creating this segment is being retried: the file is already ours.
            if (_segments.Exists(s => s.BaseLsn == baseLsn))
            {
                return;
            }
        }

        var path = Path.Combine(_directory, Lsn.SegmentFileName(baseLsn));
        _faults.Check(StorageOperation.CreateSegment, path);

        // Create, not CreateNew: a file by this name can only be left by an attempt that failed before the
        // segment was listed, and everything in it lies past the durable end.
        var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        lock (_lock)
        {
            _segments.Add(new Segment(baseLsn, path, handle, 0));
            _activeBaseLsn = Math.Max(_activeBaseLsn, baseLsn);
        }

        // The new file's directory entry must survive a crash too.
        DirectorySync.Sync(_directory);
    }

    private void TruncateAt(Segment segment, long length)
    {
        RandomAccess.SetLength(segment.Handle, length);
        RandomAccess.FlushToDisk(segment.Handle);
        segment.Length = length;
        lock (_lock)
        {
            _appendedEnd = _durableEnd = _pendingStartLsn = segment.BaseLsn + length;
            _activeBaseLsn = segment.BaseLsn;
        }
    }

    private void DropSegmentsAfter(Segment keep)
    {
        List<Segment> dropped;
        lock (_lock)
        {
            var index = _segments.IndexOf(keep);
            dropped = _segments.Skip(index + 1).ToList();
            _segments.RemoveRange(index + 1, dropped.Count);
        }

        foreach (var segment in dropped)
        {
            segment.Handle.Dispose();
            File.Delete(segment.Path);
        }

        if (dropped.Count > 0)
        {
            DirectorySync.Sync(_directory);
        }
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> destination, long offset)
    {
        while (!destination.IsEmpty)
        {
            var read = RandomAccess.Read(handle, destination, offset);
            if (read == 0)
            {
                throw new InvalidDataException($"unexpected end of segment at {offset}");
            }

            destination = destination[read..];
            offset += read;
        }
    }

    private sealed class Segment(long baseLsn, string path, SafeFileHandle handle, long length)
    {
        public long BaseLsn { get; } = baseLsn;

        public string Path { get; } = path;

        public SafeFileHandle Handle { get; } = handle;

        public long Length { get; set; } = length;
    }
}

/// <summary>The outcome of scanning a log.</summary>
internal sealed record ScanResult(bool IsCorrupt, long CorruptLsn, string? Problem, long TruncatedBytes)
{
    public static ScanResult Clean(long truncatedBytes) => new(false, -1, null, truncatedBytes);

    public static ScanResult Corrupt(long lsn, string problem) => new(true, lsn, problem, 0);
}
