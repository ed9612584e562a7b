// Recovery of a partition at start: the newest valid snapshot, then the log after it, checked record by
// record. Corruption quarantines the partition (or refuses the start, when configured so).
using Sinew.Broker.Diagnostics;
using Sinew.Broker.Storage;

namespace Sinew.Broker.Queues;

internal sealed partial class Partition
{
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
        var snapshot = SnapshotFile.LoadLatest(DirectoryPath, out var unreadable);
        if (unreadable is not null)
        {
            _services.Logger.SnapshotUnreadable(Index, Queue.Name, unreadable, snapshot?.FileName ?? "none");
        }

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

        List<Action<BrokerErrorException?>>? nobodyWaits = null;
        _durability.Advance(_log.DurableEnd, ref nobodyWaits);
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
}
