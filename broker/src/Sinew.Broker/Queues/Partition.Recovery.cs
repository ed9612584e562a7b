// Recovery and snapshots of a partition. A snapshot captures every unsettled message (with where its
// record lies in the log) and the partition's idempotency keys at a log position S; recovery loads the
// newest valid snapshot and replays only the records after S. Snapshots are written only once the log is
// durable up to S, so a snapshot never describes records a crash could lose.
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Sinew.Broker.Diagnostics;
using Sinew.Broker.Storage;

namespace Sinew.Broker.Queues;

internal sealed partial class Partition
{
    private static ReadOnlySpan<byte> SnapshotMagic => "SNWSNAP1"u8;

    /// <summary>Rebuilds the partition from its snapshot and log. Corruption, or a log that lacks what the
    /// snapshot says was durable, quarantines the partition, or throws when the broker is configured to
    /// refuse to start.</summary>
    public void Recover()
    {
        // Recovery schedules timers (delays, TTLs) whose thread calls OnTimer as soon as they are due: it
        // must find the partition whole, so it waits for this lock.
        lock (_lock)
        {
            RecoverLocked();
        }
    }

    private void RecoverLocked()
    {
        var now = NowMs;
        var snapshot = LoadLatestSnapshot();
        if (_log.IsEmpty)
        {
            if (snapshot is not null)
            {
                FailRecovery($"the log has no segment, but snapshot {snapshot.FileName} says it was durable up to position {snapshot.Lsn} "
                    + $"with {snapshot.Entries.Count} unsettled message(s)");
                return;
            }

            // A new partition on a full or failing disk parks and retries like any other, instead of
            // failing the queue's load.
            _log.StartFresh(0, now);
            FlushLocked();
            return;
        }

        var fromLsn = _log.StartLsn;
        var durableFloor = 0L;

        // Where each message the snapshot lists must be found in the log, checked as the scan passes it.
        Dictionary<long, long>? listed = null;
        if (snapshot is not null)
        {
            if (_log.StartLsn > snapshot.RequiredStartLsn)
            {
                FailRecovery($"the log starts at position {_log.StartLsn}, but snapshot {snapshot.FileName} needs it from position "
                    + $"{snapshot.RequiredStartLsn}: the oldest segment(s) are missing");
                return;
            }

            _nextOffset = snapshot.NextOffset;
            listed = new Dictionary<long, long>(snapshot.Entries.Count);
            foreach (var s in snapshot.Entries)
            {
                _messages[s.Offset] = new MessageEntry(s.Offset, s.Lsn, s.PublishedAtMs, s.ExpiresAtMs)
                {
                    NotBeforeMs = s.NotBeforeMs,
                    DeliveryCount = s.DeliveryCount,
                };
                listed[s.Lsn] = s.Offset;
            }

            foreach (var d in snapshot.Dedup)
            {
                if (d.AtMs + Queue.Services.Options.Storage.DedupWindowMs >= now)
                {
                    Queue.Dedup.Add(d.Producer, d.Sequence, new DedupEntry(Index, d.Offset, d.LsnEnd, d.AtMs));
                }
            }

            fromLsn = snapshot.Lsn;
            durableFloor = snapshot.Lsn;
            _snapshotLsn = snapshot.Lsn;
        }
        else if (_log.StartLsn > 0)
        {
            // Segments are only deleted once a snapshot covers them, and that snapshot is only deleted
            // when a newer one replaces it.
            FailRecovery($"the log starts at position {_log.StartLsn} (older segments were removed) but no readable snapshot covers them");
            return;
        }
        else
        {
            _snapshotLsn = fromLsn;
        }

        // Every retained byte is checked, not only what follows the snapshot: the records before it hold
        // the bodies of unsettled messages, and damage there must be found now, not at delivery time.
        ScanResult scan;
        try
        {
            scan = _log.Scan(_log.StartLsn, durableFloor, (lsn, body) =>
            {
                if (lsn >= fromLsn)
                {
                    ApplyRecord(lsn, body);
                }
                else if (!Enum.IsDefined(Records.TypeOf(body.Span)))
                {
                    throw new InvalidDataException($"unknown record type {body.Span[0]} at log position {lsn}");
                }
                else if (listed is not null && listed.Remove(lsn, out var offset)
                         && (Records.TypeOf(body.Span) != RecordType.Message || Records.ReadMessage(body.Span).Offset != offset))
                {
                    throw new InvalidDataException($"the snapshot places message {offset} at log position {lsn}, but the record there is not that message");
                }
            });
        }
        catch (InvalidDataException e)
        {
            scan = ScanResult.Corrupt(-1, $"a record cannot be decoded: {e.Message}");
        }

        if (!scan.IsCorrupt && listed is { Count: > 0 })
        {
            var (lsn, offset) = listed.MinBy(l => l.Key);
            scan = ScanResult.Corrupt(lsn, $"{listed.Count} message(s) the snapshot lists are not in the log, such as message {offset} at position {lsn}");
        }

        if (scan.IsCorrupt)
        {
            FailRecovery($"corrupt log at position {scan.CorruptLsn}: {scan.Problem}");
            return;
        }

        if (scan.TruncatedBytes > 0)
        {
            _services.Logger.TornTailTruncated(Index, Queue.Name, scan.TruncatedBytes, _log.AppendedEnd);
        }

        _durableEnd = _log.DurableEnd;
        foreach (var entry in _messages.Values.OrderBy(e => e.Offset))
        {
            if (entry.ExpiresAtMs != 0)
            {
                _expiries.Enqueue(entry, entry.ExpiresAtMs);
                ScheduleTimerLocked(entry.ExpiresAtMs);
            }

            if (entry.NotBeforeMs > now)
            {
                DelayLocked(entry, entry.NotBeforeMs);
            }
            else
            {
                entry.NotBeforeMs = 0;
                _ready.AddFresh(entry);
            }
        }

        _services.Logger.PartitionRecovered(Index, Queue.Name, _messages.Count, _nextOffset, scan.TruncatedBytes);

        void ApplyRecord(long lsn, ReadOnlyMemory<byte> memory)
        {
            var body = memory.Span;
            switch (Records.TypeOf(body))
            {
                case RecordType.SegmentStart:
                    _nextOffset = Math.Max(_nextOffset, Records.ReadSegmentStart(body).NextOffset);
                    break;
                case RecordType.Message:
                    var record = Records.ReadMessage(body);
                    var replayed = new MessageEntry(record.Offset, lsn, record.PublishedAtMs, record.ExpiresAtMs)
                    {
                        NotBeforeMs = record.NotBeforeMs,
                    };
                    HoldBodyLocked(replayed, record.Body, force: false);
                    if (_messages.Remove(record.Offset, out var previous))
                    {
                        DropBodyLocked(previous);
                    }

                    _messages[record.Offset] = replayed;
                    _nextOffset = Math.Max(_nextOffset, record.Offset + 1);
                    if (record.ProducerId is { } producer && record.PublishedAtMs + Queue.Services.Options.Storage.DedupWindowMs >= now)
                    {
                        var end = lsn + RecordFraming.HeaderSize + memory.Length;
                        Queue.Dedup.Add(producer, record.Sequence, new DedupEntry(Index, record.Offset, end, record.PublishedAtMs));
                    }

                    break;
                case RecordType.Ack:
                    foreach (var offset in Records.ReadAck(body))
                    {
                        if (_messages.Remove(offset, out var acked))
                        {
                            DropBodyLocked(acked);
                        }
                    }

                    break;
                case RecordType.Requeue:
                    var (requeued, deliveryCount, notBefore) = Records.ReadRequeue(body);
                    if (_messages.TryGetValue(requeued, out var entry))
                    {
                        entry.DeliveryCount = deliveryCount;
                        entry.NotBeforeMs = notBefore;
                    }

                    break;
                case RecordType.DeadLettered:
                    if (_messages.Remove(Records.ReadDeadLettered(body).Offset, out var dead))
                    {
                        DropBodyLocked(dead);
                    }

                    break;
                default:
                    throw new InvalidDataException($"unknown record type {body[0]} at log position {lsn}");
            }
        }
    }

    /// <summary>Stops recovery: throws when the broker must refuse to start on corruption, otherwise
    /// quarantines the partition with nothing loaded.</summary>
    private void FailRecovery(string reason)
    {
        if (_services.Options.Recovery.OnCorruption == "refuse")
        {
            throw new InvalidDataException($"partition {Index} of queue {Queue.Name}: {reason}");
        }

        foreach (var entry in _messages.Values)
        {
            DropBodyLocked(entry);
        }

        _messages.Clear();
        QuarantineLocked(reason);
    }

    /// <summary>Writes a snapshot of the current state and deletes the segments it makes unnecessary.</summary>
    public async Task WriteSnapshotAsync(CancellationToken cancellationToken)
    {
        await _snapshotGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WriteSnapshotExclusiveAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _snapshotGate.Release();
        }
    }

    private async Task WriteSnapshotExclusiveAsync(CancellationToken cancellationToken)
    {
        SnapshotData data;
        lock (_lock)
        {
            if (_quarantine is not null || _parked is not null)
            {
                return;
            }

            var lsn = _log.AppendedEnd;
            var entries = new List<SnapshotEntry>(_messages.Count);
            foreach (var entry in _messages.Values)
            {
                // A message still waiting for its fsync keeps its not-before time too: the snapshot only exists
                // once it is durable, and recovery must not make it deliverable early.
                entries.Add(new SnapshotEntry(entry.Offset, entry.Lsn, entry.PublishedAtMs, entry.ExpiresAtMs,
                    entry.State is MessageState.Delayed or MessageState.Pending ? entry.NotBeforeMs : 0, entry.DeliveryCount));
            }

            data = new SnapshotData(lsn, _nextOffset, entries, []);
        }

        var dedup = Queue.Dedup.EntriesOf(Index)
            .Where(d => d.Entry.LsnEnd <= data.Lsn)
            .Select(d => new SnapshotDedup(d.Producer, d.Sequence, d.Entry.Offset, d.Entry.LsnEnd, d.Entry.AtMs))
            .ToList();
        data = data with { Dedup = dedup };

        // The snapshot may only exist once every record it reflects is durable.
        RequestFlush();
        await WhenDurableAsync(data.Lsn).WaitAsync(cancellationToken).ConfigureAwait(false);

        var directory = Path.Combine(Queue.Directory, $"p{Index}");
        var path = Path.Combine(directory, $"snapshot-{data.Lsn:D20}.snap");
        AtomicFile.Write(path, EncodeSnapshot(data));
        foreach (var older in Directory.GetFiles(directory, "snapshot-*.snap"))
        {
            if (string.CompareOrdinal(Path.GetFileName(older), Path.GetFileName(path)) < 0)
            {
                File.Delete(older);
            }
        }

        Volatile.Write(ref _snapshotLsn, data.Lsn);
        var keepFrom = data.RequiredStartLsn;
        var deleted = _log.DeleteSegmentsBefore(keepFrom);
        _services.Logger.SnapshotWritten(Index, Queue.Name, data.Lsn, deleted);
    }

    /// <summary>Flushes, snapshots and closes the log (graceful shutdown).</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        // A partition untouched since its last snapshot keeps it: that snapshot already records the log's end,
        // and a broker with many idle queues stops without rewriting one file per partition.
        if (QuarantineReason is null && ParkedReason is null && _log.AppendedEnd != Volatile.Read(ref _snapshotLsn))
        {
            try
            {
                await WriteSnapshotAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Out of time: what was flushed is safe; recovery replays the rest.
            }
            catch (BrokerErrorException)
            {
                // The log cannot be written: what was durable is safe; nothing past it was confirmed.
            }
        }

        lock (_flushLock)
        {
            FlushLocked();
            _log.Dispose();
        }
    }

    /// <summary>The newest snapshot that can be read, whatever the log holds: recovery checks the log
    /// against it, so a log shorter than the snapshot says is found rather than skipped.</summary>
    private SnapshotData? LoadLatestSnapshot()
    {
        var directory = Path.Combine(Queue.Directory, $"p{Index}");
        if (!Directory.Exists(directory))
        {
            return null;
        }

        string? damaged = null;
        foreach (var path in Directory.GetFiles(directory, "snapshot-*.snap").OrderDescending(StringComparer.Ordinal))
        {
            if (TryDecodeSnapshot(File.ReadAllBytes(path)) is { } data)
            {
                if (damaged is not null)
                {
                    _services.Logger.SnapshotUnreadable(Index, Queue.Name, damaged, Path.GetFileName(path));
                }

                return data with { FileName = Path.GetFileName(path) };
            }

            damaged ??= Path.GetFileName(path);
        }

        if (damaged is not null)
        {
            _services.Logger.SnapshotUnreadable(Index, Queue.Name, damaged, "none");
        }

        return null;
    }

    private static byte[] EncodeSnapshot(SnapshotData data)
    {
        var size = SnapshotMagic.Length + 8 + 8 + 4 + (data.Entries.Count * 44) + 4 + 4;
        foreach (var d in data.Dedup)
        {
            size += 2 + Encoding.UTF8.GetByteCount(d.Producer) + 8 + 8 + 8 + 8;
        }

        var bytes = new byte[size];
        var span = bytes.AsSpan();
        SnapshotMagic.CopyTo(span);
        var p = SnapshotMagic.Length;
        BinaryPrimitives.WriteInt64BigEndian(span[p..], data.Lsn); p += 8;
        BinaryPrimitives.WriteInt64BigEndian(span[p..], data.NextOffset); p += 8;
        BinaryPrimitives.WriteInt32BigEndian(span[p..], data.Entries.Count); p += 4;
        foreach (var e in data.Entries)
        {
            BinaryPrimitives.WriteInt64BigEndian(span[p..], e.Offset); p += 8;
            BinaryPrimitives.WriteInt64BigEndian(span[p..], e.Lsn); p += 8;
            BinaryPrimitives.WriteInt64BigEndian(span[p..], e.PublishedAtMs); p += 8;
            BinaryPrimitives.WriteInt64BigEndian(span[p..], e.ExpiresAtMs); p += 8;
            BinaryPrimitives.WriteInt64BigEndian(span[p..], e.NotBeforeMs); p += 8;
            BinaryPrimitives.WriteInt32BigEndian(span[p..], e.DeliveryCount); p += 4;
        }

        BinaryPrimitives.WriteInt32BigEndian(span[p..], data.Dedup.Count); p += 4;
        foreach (var d in data.Dedup)
        {
            var length = Encoding.UTF8.GetBytes(d.Producer, span[(p + 2)..]);
            BinaryPrimitives.WriteUInt16BigEndian(span[p..], (ushort)length); p += 2 + length;
            BinaryPrimitives.WriteUInt64BigEndian(span[p..], d.Sequence); p += 8;
            BinaryPrimitives.WriteInt64BigEndian(span[p..], d.Offset); p += 8;
            BinaryPrimitives.WriteInt64BigEndian(span[p..], d.LsnEnd); p += 8;
            BinaryPrimitives.WriteInt64BigEndian(span[p..], d.AtMs); p += 8;
        }

        BinaryPrimitives.WriteUInt32BigEndian(span[p..], Crc32.HashToUInt32(span[..p]));
        return bytes;
    }

    private static SnapshotData? TryDecodeSnapshot(byte[] bytes)
    {
        try
        {
            var span = bytes.AsSpan();
            if (span.Length < SnapshotMagic.Length + 28 || !span.StartsWith(SnapshotMagic)
                || Crc32.HashToUInt32(span[..^4]) != BinaryPrimitives.ReadUInt32BigEndian(span[^4..]))
            {
                return null;
            }

            var p = SnapshotMagic.Length;
            var lsn = BinaryPrimitives.ReadInt64BigEndian(span[p..]); p += 8;
            var nextOffset = BinaryPrimitives.ReadInt64BigEndian(span[p..]); p += 8;
            var count = BinaryPrimitives.ReadInt32BigEndian(span[p..]); p += 4;
            var entries = new List<SnapshotEntry>(count);
            for (var i = 0; i < count; i++)
            {
                entries.Add(new SnapshotEntry(
                    BinaryPrimitives.ReadInt64BigEndian(span[p..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(p + 8)..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(p + 16)..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(p + 24)..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(p + 32)..]),
                    BinaryPrimitives.ReadInt32BigEndian(span[(p + 40)..])));
                p += 44;
            }

            var dedupCount = BinaryPrimitives.ReadInt32BigEndian(span[p..]); p += 4;
            var dedup = new List<SnapshotDedup>(dedupCount);
            for (var i = 0; i < dedupCount; i++)
            {
                var length = BinaryPrimitives.ReadUInt16BigEndian(span[p..]); p += 2;
                var producer = Encoding.UTF8.GetString(span.Slice(p, length)); p += length;
                dedup.Add(new SnapshotDedup(producer,
                    BinaryPrimitives.ReadUInt64BigEndian(span[p..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(p + 8)..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(p + 16)..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(p + 24)..])));
                p += 32;
            }

            return p == span.Length - 4 ? new SnapshotData(lsn, nextOffset, entries, dedup) : null;
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private sealed record SnapshotData(long Lsn, long NextOffset, List<SnapshotEntry> Entries, List<SnapshotDedup> Dedup)
    {
        public string FileName { get; init; } = "";

        /// <summary>The first log position the snapshot needs: its own position, or the record of its
        /// oldest unsettled message.</summary>
        public long RequiredStartLsn => Entries.Count == 0 ? Lsn : Math.Min(Lsn, Entries.Min(e => e.Lsn));
    }

    private sealed record SnapshotEntry(long Offset, long Lsn, long PublishedAtMs, long ExpiresAtMs, long NotBeforeMs, int DeliveryCount);

    private sealed record SnapshotDedup(string Producer, ulong Sequence, long Offset, long LsnEnd, long AtMs);
}
