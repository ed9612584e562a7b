// The two counts a message keeps (specification section 8.5). Deliveries rise each time it is sent to a consumer;
// failures only when a delivery the application held ends without an ack or a fail, and the failure that takes them
// past the queue's max retries dead-letters it. Both are logged: failures in the record that returns the message,
// deliveries in one record per group commit listing the manual-ack deliveries made since the previous one, appended
// just before that commit's write. The Deliver frame does not wait for it, so a power loss can lose the latest
// deliveries, but a crash of the broker process cannot: a message comes back with a higher attempt number.
// Auto-ack deliveries are settled as soon as they are written and need no record.
using System.Runtime.InteropServices;
using Sinew.Broker.Storage;

namespace Sinew.Broker.Queues;

internal sealed partial class Partition
{
    // Bounds one delivered record (12 bytes an item) however many deliveries a slow commit lets pile up.
    private const int MaxDeliveriesPerRecord = 64 * 1024;

    // Manual-ack deliveries made since the last delivered record, with the delivery count each gave its message.
    private readonly List<(long Offset, int DeliveryCount)> _unloggedDeliveries = [];

    /// <summary>Notes a manual-ack delivery for the next delivered record.</summary>
    /// <returns>Whether it is the first noted since that record was appended (the caller then asks for a flush).</returns>
    private bool NoteDeliveryLocked(MessageEntry entry)
    {
        _unloggedDeliveries.Add((entry.Offset, entry.DeliveryCount));
        return _unloggedDeliveries.Count == 1;
    }

    /// <summary>Appends the deliveries noted since the last delivered record; called by the flush just before it
    /// writes, so they travel with that group commit. Each item carries the message's delivery count itself, not an
    /// increment: recovery keeps the highest count it reads, so the record may land after a later record about the
    /// same message (a return, a settlement) without being counted twice.</summary>
    private void AppendDeliveriesLocked()
    {
        if (_unloggedDeliveries.Count == 0)
        {
            return;
        }

        if (_quarantine is null)
        {
            for (var start = 0; start < _unloggedDeliveries.Count; start += MaxDeliveriesPerRecord)
            {
                var count = Math.Min(MaxDeliveriesPerRecord, _unloggedDeliveries.Count - start);
                _log.Append(Records.DeliveredSize(count),
                    static (span, s) => Records.WriteDelivered(span, CollectionsMarshal.AsSpan(s.List).Slice(s.Start, s.Count)),
                    (List: _unloggedDeliveries, Start: start, Count: count));
            }
        }

        _unloggedDeliveries.Clear();
        if (_unloggedDeliveries.Capacity > 4 * MaxDeliveriesPerRecord)
        {
            _unloggedDeliveries.Capacity = MaxDeliveriesPerRecord;
        }
    }

    /// <summary>Counts a failure of a delivery that has just ended: a retry, an expired lease, or a return of a
    /// delivery the application held. The failure that takes the message past its queue's max retries dead-letters
    /// it with reason retries_exhausted; otherwise it is returned, delayed until <paramref name="notBeforeMs"/> when
    /// that is later than now.</summary>
    private void FailLocked(MessageEntry entry, long notBeforeMs, ref List<Action>? deferred)
    {
        entry.Failures++;
        if ((uint)entry.Failures > Queue.Settings.MaxRetries)
        {
            DeadLetterLocked(entry, DeadLetterReason.RetriesExhausted, entry.LastRetryReason, ref deferred);
        }
        else
        {
            RequeueLocked(entry, notBeforeMs, ref deferred);
        }
    }
}
