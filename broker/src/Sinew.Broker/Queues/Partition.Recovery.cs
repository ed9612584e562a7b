// Recovery of a partition at start: the newest valid snapshot, then the log after it, checked record by
// record, then the index window filled from the log cursor. Messages past the snapshot's index stay in the log:
// replaying settles and requeues of them only marks them on the cursor, so a deep backlog is not rebuilt entry by
// entry. Deliveries and failures come back as the log last recorded them: a restart itself counts no failure.
// Corruption quarantines the partition (or refuses the start, when configured so).
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
            _cursor = new LogCursor(0, 0);
            _log.StartFresh(0, now);
            FlushLocked();
            return;
        }

        var fromLsn = _log.StartLsn;
        var durableFloor = 0L;

        // Where each message the snapshot lists must be found in the log, checked as the scan passes it; and where
        // its cursor says the unindexed backlog starts, which must be that message's record.
        Dictionary<long, long>? listed = null;
        long cursorLsn = -1, cursorOffset = -1;
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
                    Failures = s.Failures,
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
            if (snapshot.HasUnindexed)
            {
                _cursor = LogCursor.From(snapshot.Cursor);
                (cursorLsn, cursorOffset) = (snapshot.Cursor.Lsn, snapshot.Cursor.Offset);
            }
            else
            {
                _cursor = new LogCursor(snapshot.Lsn, snapshot.NextOffset);
            }
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
            _cursor = new LogCursor(fromLsn, 0);
        }

        // Every retained byte is checked, not only what follows the snapshot: the records before it hold
        // the bodies of unsettled messages, and damage there must be found now, not at delivery time.
        ScanResult scan;
        try
        {
            scan = _log.Scan(_log.StartLsn, durableFloor, (lsn, body) =>
            {
                TrackDeadLetterRecordLocked(body.Span);
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
                else if (lsn == cursorLsn)
                {
                    if (Records.TypeOf(body.Span) != RecordType.Message || Records.ReadMessage(body.Span).Offset != cursorOffset)
                    {
                        throw new InvalidDataException($"the snapshot's log cursor places message {cursorOffset} at log position {lsn}, but the record there is not that message");
                    }

                    cursorLsn = -1;
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

        if (!scan.IsCorrupt && cursorLsn >= 0)
        {
            scan = ScanResult.Corrupt(cursorLsn, $"the snapshot's log cursor places message {cursorOffset} at position {cursorLsn}, where no record starts");
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
            PlaceIndexedLocked(entry, now);
        }

        if (!HasUnindexed)
        {
            _cursor.Follow(_nextOffset);
        }

        if (!FillWindowLocked())
        {
            return;
        }

        FinishRecoveringDeadLettersLocked();
        _services.Logger.PartitionRecovered(Index, Queue.Name, _messages.Count + UnindexedCount, _nextOffset, scan.TruncatedBytes);

        void ApplyRecord(long lsn, ReadOnlyMemory<byte> memory)
        {
            var body = memory.Span;
            switch (Records.TypeOf(body))
            {
                case RecordType.SegmentStart:
                    var next = Records.ReadSegmentStart(body).NextOffset;
                    if (next > _nextOffset)
                    {
                        if (HasUnindexed)
                        {
                            throw new InvalidDataException($"the segment starting at log position {lsn} begins at message {next}, but the log's messages end at {_nextOffset - 1}");
                        }

                        _nextOffset = next;
                        _cursor.Follow(next);
                    }

                    break;
                case RecordType.Message:
                    // Every message after the snapshot joins the unindexed backlog, which must run on without a gap.
                    var record = Records.ReadMessage(body);
                    if (record.Offset != _nextOffset)
                    {
                        throw new InvalidDataException($"message {record.Offset} at log position {lsn} follows message {_nextOffset - 1}");
                    }

                    if (!HasUnindexed)
                    {
                        _cursor = new LogCursor(lsn, record.Offset);
                    }

                    _nextOffset = record.Offset + 1;
                    if (record.ProducerId is { } producer && record.PublishedAtMs + Queue.Services.Options.Storage.DedupWindowMs >= now)
                    {
                        var end = lsn + RecordFraming.HeaderSize + memory.Length;
                        Queue.Dedup.Add(producer, record.Sequence, new DedupEntry(Index, record.Offset, end, record.PublishedAtMs));
                    }

                    break;
                case RecordType.Ack:
                    foreach (var offset in Records.ReadAck(body))
                    {
                        SettleReplayed(offset);
                    }

                    break;
                case RecordType.Requeue:
                    // Written before failures were counted: the failures stay as they were.
                    var (requeued, deliveryCount, notBefore) = Records.ReadRequeue(body);
                    ReturnReplayed(requeued, deliveryCount, null, notBefore);
                    break;
                case RecordType.Returned:
                    var returned = Records.ReadReturned(body);
                    ReturnReplayed(returned.Offset, returned.DeliveryCount, returned.Failures, returned.NotBeforeMs);
                    break;
                case RecordType.Delivered:
                    foreach (var (delivered, count) in Records.ReadDelivered(body))
                    {
                        DeliverReplayed(delivered, count);
                    }

                    break;
                case RecordType.DeadLettered:
                    SettleReplayed(Records.ReadDeadLettered(body).Offset);
                    break;
                case RecordType.DeadLetterPending:
                    // Tracked for every record above; the message is routed again as it enters the index.
                    break;
                default:
                    throw new InvalidDataException($"unknown record type {body[0]} at log position {lsn}");
            }
        }

        // Delivery counts only rise: a delivered record is appended at the commit after its deliveries, so it can
        // follow a later record about the same message and must not lower or double what that one says.
        void ReturnReplayed(long offset, int deliveryCount, int? failures, long notBefore)
        {
            if (_messages.TryGetValue(offset, out var entry))
            {
                entry.DeliveryCount = Math.Max(entry.DeliveryCount, deliveryCount);
                entry.Failures = failures ?? entry.Failures;
                entry.NotBeforeMs = notBefore;
            }
            else if (_cursor.Covers(offset, _nextOffset))
            {
                _cursor.Requeue(offset, deliveryCount, failures, notBefore);
            }
        }

        void DeliverReplayed(long offset, int deliveryCount)
        {
            if (_messages.TryGetValue(offset, out var entry))
            {
                entry.DeliveryCount = Math.Max(entry.DeliveryCount, deliveryCount);
            }
            else if (_cursor.Covers(offset, _nextOffset))
            {
                _cursor.Deliver(offset, deliveryCount);
            }
        }

        void SettleReplayed(long offset)
        {
            if (_messages.Remove(offset, out var settled))
            {
                DropBodyLocked(settled);
            }
            else if (_cursor.Covers(offset, _nextOffset))
            {
                _cursor.Settle(offset);
            }
        }
    }

    /// <summary>Fills the index window from the log cursor, reading under the lock: recovery holds it anyway, and
    /// the partition serves nothing before it is whole.</summary>
    /// <returns>False when the backlog could not be read back (the partition is then quarantined, or the start refused).</returns>
    private bool FillWindowLocked()
    {
        while (HasUnindexed && WindowUsed < WindowSize && _cursor.Lsn < _durability.DurableEnd)
        {
            BacklogBatch batch;
            try
            {
                batch = BacklogReader.Read(_log, _cursor.Lsn, _durability.DurableEnd, WindowSize - WindowUsed);
            }
            catch (InvalidDataException e)
            {
                FailRecovery($"the backlog cannot be read back from log position {_cursor.Lsn}: {e.Message}");
                return false;
            }

            var before = _cursor.Lsn;
            try
            {
                IndexReadBackLocked(batch);
            }
            catch (InvalidDataException e)
            {
                FailRecovery(e.Message);
                return false;
            }

            if (_cursor.Lsn == before)
            {
                break;
            }
        }

        return true;
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
        _ready.Clear();
        _delayed.Clear();
        _delayedCount = 0;
        _expiries.Clear();
        ForgetDeadLettersLocked();
        _cursor.Follow(_nextOffset);
        QuarantineLocked(reason);
    }
}
