// Dead-lettering: a message that expired, ran out of retries or was refused leaves through its queue's
// dead-letter policy. A copy goes to the target queue, and the original is removed once the copy is durable.
using Sinew.Broker.Storage;

namespace Sinew.Broker.Queues;

internal sealed partial class Partition
{
    private void DeadLetterLocked(MessageEntry entry, DeadLetterReason reason, string? error, ref List<Action>? deferred)
    {
        var target = Queue.DeadLetters.TargetFor(Queue);
        Queue.Metrics.DeadLettered(reason).Inc();
        if (target is null)
        {
            _log.Append(Records.DeadLetteredSize, static (span, s) => Records.WriteDeadLettered(span, s.Offset, s.reason), (entry.Offset, reason));
            RemoveLocked(entry);
            return;
        }

        // The copy must be durable in the target before the original is removed, or a crash in
        // between could lose the message. Until then the original is parked.
        entry.State = MessageState.DeadLettering;
        _deadLettering++;
        MessageBody body;
        try
        {
            body = BodyLocked(entry);
        }
        catch (InvalidDataException e)
        {
            QuarantineLocked($"message {entry.Offset} cannot be read back: {e.Message}");
            return;
        }

        var copy = DeadLetterRouter.CopyFor(Queue.Name, Index, entry, body, reason, error, NowMs);
        (deferred ??= []).Add(() => Queue.DeadLetters.Publish(target.Value, copy, () => CompleteDeadLetter(entry, reason)));
    }

    private void CompleteDeadLetter(MessageEntry entry, DeadLetterReason reason)
    {
        lock (_lock)
        {
            if (entry.State != MessageState.DeadLettering || !_messages.ContainsKey(entry.Offset) || _quarantine is not null)
            {
                return;
            }

            _log.Append(Records.DeadLetteredSize, static (span, s) => Records.WriteDeadLettered(span, s.Offset, s.reason), (entry.Offset, reason));
            RemoveLocked(entry);
            _deadLettering--;
            RefillIfLowLocked();
        }

        RequestFlush();
    }
}
