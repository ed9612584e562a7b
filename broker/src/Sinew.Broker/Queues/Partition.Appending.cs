// Appending a message to a partition: the record goes into the log's buffer and the message waits, not yet
// deliverable, until the flusher has made it durable (Partition.Durability.cs). It is indexed in memory at once
// when the index window has room and nothing older waits in the log; otherwise it joins the backlog behind the
// log cursor and is read back later (Partition.Window.cs).
using Sinew.Broker.Storage;

namespace Sinew.Broker.Queues;

/// <summary>Where an appended message went and the log position that must be durable before it counts.</summary>
internal readonly record struct AppendResult(uint Partition, long Offset, long LsnEnd);

internal sealed partial class Partition
{
    /// <summary>Appends a message whose deadlines the queue has resolved (unix ms, 0 for none). It becomes
    /// deliverable once durable; call <see cref="WhenDurable"/> with <see cref="AppendResult.LsnEnd"/> to confirm it.</summary>
    public AppendResult Append(in IncomingMessage message, long notBeforeMs, long expiresAtMs)
    {
        AppendResult result;
        lock (_lock)
        {
            ThrowIfNotWritable();
            var now = NowMs;
            if (_log.NeedsRoll)
            {
                _log.Roll(_nextOffset, now);
            }

            var indexed = CanIndexAppendLocked();
            var offset = _nextOffset++;
            var record = new MessageRecord(offset, now, expiresAtMs, notBeforeMs, message.ProducerId, message.Sequence, message.Body);
            var lsn = _log.Append(Records.MessageSize(record), static (span, r) => Records.WriteMessage(span, r), record);
            var lsnEnd = _log.AppendedEnd;
            if (indexed)
            {
                var entry = new MessageEntry(offset, lsn, now, expiresAtMs)
                {
                    NotBeforeMs = notBeforeMs,
                    State = MessageState.Pending,
                };
                HoldBodyLocked(entry, message.Body, force: false);
                _messages.Add(offset, entry);
                _awaitingDurability.Enqueue((lsnEnd, entry));
                _pendingFresh++;
                _cursor.Follow(_nextOffset);
            }
            else if (_cursor.Offset == offset)
            {
                // The first message past the index: the backlog in the log starts here.
                _cursor.Lsn = lsn;
            }

            result = new AppendResult(Index, offset, lsnEnd);
        }

        Queue.Metrics.Published.Inc();
        RequestFlush();
        return result;
    }
}
