// Message bodies in memory: a body is kept while the broker-wide resident budget allows, otherwise dropped
// and read back from the log when the message is delivered or dead-lettered.
using Sinew.Broker.Storage;

namespace Sinew.Broker.Queues;

internal sealed partial class Partition
{
    // Collections of an emptied partition larger than this are given back; smaller ones are kept for the next message.
    private const int IdleCapacity = 64;

    private void RemoveLocked(MessageEntry entry)
    {
        _messages.Remove(entry.Offset);
        DropBodyLocked(entry);
        EndExpiryLocked(entry);
        if (_messages.Count == 0)
        {
            TrimIdleLocked();
        }
    }

    /// <summary>Once a partition has nothing indexed, gives back what its collections grew to while it had a backlog.</summary>
    private void TrimIdleLocked()
    {
        if (_messages.EnsureCapacity(0) > IdleCapacity)
        {
            _messages.TrimExcess();
        }

        _ready.TrimIfEmpty(IdleCapacity);
        if (_awaitingDurability.Count == 0 && _awaitingDurability.EnsureCapacity(0) > IdleCapacity)
        {
            _awaitingDurability.TrimExcess();
        }

        TrimTimersIfIdleLocked(IdleCapacity);
    }

    /// <summary>The entry's body, read back from the log when it is not resident. A body read back is held
    /// until the message is settled, whatever the budget: it is being delivered.</summary>
    private MessageBody BodyLocked(MessageEntry entry)
    {
        if (entry.Body is { } body)
        {
            return body;
        }

        body = LoadBodyLocked(entry);
        HoldBodyLocked(entry, body, force: true);
        return body;
    }

    /// <summary>Keeps <paramref name="body"/> in memory if the resident budget allows (or always, when forced).</summary>
    private void HoldBodyLocked(MessageEntry entry, MessageBody body, bool force)
    {
        var size = body.ResidentBytes;
        if (_services.Resident.TryHold(size, force))
        {
            entry.Body = body;
            entry.ResidentBytes = size;
        }
    }

    private void DropBodyLocked(MessageEntry entry)
    {
        if (entry.ResidentBytes > 0)
        {
            _services.Resident.Release(entry.ResidentBytes);
        }

        entry.Body = null;
        entry.ResidentBytes = 0;
    }

    private MessageBody LoadBodyLocked(MessageEntry entry)
    {
        var body = _log.ReadBody(entry.Lsn);
        if (Records.TypeOf(body) != RecordType.Message)
        {
            throw new InvalidDataException($"the record at {entry.Lsn} is not a message");
        }

        var record = Records.ReadMessage(body);
        if (record.Offset != entry.Offset)
        {
            throw new InvalidDataException($"the record at {entry.Lsn} holds offset {record.Offset}, not {entry.Offset}");
        }

        return record.Body;
    }
}
