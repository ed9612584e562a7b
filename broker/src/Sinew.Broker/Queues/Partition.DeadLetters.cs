// Dead-lettering: a message that expired, ran out of retries or was refused leaves through its queue's dead-letter
// policy. Under discard it is dropped. Otherwise a DeadLetterPending record marks it as leaving, it stays in the
// partition out of delivery, a copy goes to the target queue, and a DeadLettered record removes the original once
// the copy is durable. A copy the target cannot take (full, quarantined, failing to write) is never given up on:
// the partition's retry loop sends it again with backoff until it is durable or the broker stops, and recovery
// routes again every message whose pending record has no DeadLettered record after it.
using Sinew.Broker.Diagnostics;
using Sinew.Broker.Storage;

namespace Sinew.Broker.Queues;

internal sealed partial class Partition
{
    // Dead letters whose copy could not be sent, by offset, waiting for the retry loop; and whether the loop runs.
    private readonly SortedDictionary<long, DeadLetterCopy> _stranded = [];
    private bool _retryingDeadLetters;
    // Found by recovery: messages whose dead-lettering began before the last stop and never finished, with why.
    // Each is routed again as it enters the index (Partition.Window.cs), then dropped from here.
    private Dictionary<long, (DeadLetterReason Reason, string? Error)>? _unfinishedDeadLetters;
    private string? _deadLetterProducerId;

    private void DeadLetterLocked(MessageEntry entry, DeadLetterReason reason, string? error, ref List<Action>? deferred)
    {
        var target = Queue.DeadLetters.TargetFor(Queue);
        Queue.Metrics.DeadLettered(reason).Inc();
        Queue.NoteDeadLetter(reason, target);
        if (target is null)
        {
            _log.Append(Records.DeadLetteredSize, static (span, s) => Records.WriteDeadLettered(span, s.Offset, s.reason), (entry.Offset, reason));
            RemoveLocked(entry);
            return;
        }

        // The copy must be durable in the target before the original is removed, or a crash in between could lose
        // the message; the pending record lets recovery finish what a stop interrupted.
        _log.Append(Records.DeadLetterPendingSize(error),
            static (span, s) => Records.WriteDeadLetterPending(span, s.Offset, s.reason, s.error), (entry.Offset, reason, error));
        if (BeginDeadLetterLocked(entry, reason, error) is { } letter)
        {
            (deferred ??= []).Add(() => _ = SendDeadLetterAsync(letter));
        }
    }

    /// <summary>Takes the message out of delivery and builds its copy; null when its body cannot be read back (the
    /// partition is then quarantined, and the message stays as the log has it).</summary>
    private DeadLetterCopy? BeginDeadLetterLocked(MessageEntry entry, DeadLetterReason reason, string? error)
    {
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
            return null;
        }

        var copy = DeadLetterRouter.CopyFor(Queue.Name, Index, entry, body, reason, error, NowMs);
        _deadLetterProducerId ??= DeadLetterRouter.ProducerIdFor(Queue.Name, Index);
        return new DeadLetterCopy(entry, reason, new IncomingMessage(copy, ProducerId: _deadLetterProducerId, Sequence: (ulong)entry.Offset));
    }

    // The first attempt, straight after the decision: the copy is appended on this thread, outside the lock.
    private async Task SendDeadLetterAsync(DeadLetterCopy letter)
    {
        RequestFlush();
        if (Queue.DeadLetters.TargetFor(Queue) is not { } target)
        {
            return;
        }

        if (await Queue.DeadLetters.SendAsync(target, letter).ConfigureAwait(false) is { } failure)
        {
            Strand(letter, target, failure);
        }
        else
        {
            CompleteDeadLetter(letter);
        }
    }

    /// <summary>Hands a letter whose copy could not be sent to the retry loop, starting the loop if it is idle.</summary>
    private void Strand(DeadLetterCopy letter, QueueName target, Exception failure)
    {
        lock (_lock)
        {
            if (!IsStillLeavingLocked(letter))
            {
                return;
            }

            _stranded[letter.Offset] = letter;
            if (_retryingDeadLetters || Queue.DeadLetters.Stopping.IsCancellationRequested)
            {
                return;
            }

            _retryingDeadLetters = true;
        }

        _services.Logger.DeadLettersStranded(failure, Index, Queue.Name, target);
        _ = Task.Run(() => RetryStrandedAsync(DeadLetterRouter.FirstRetryDelay));
    }

    /// <summary>Sends the stranded letters again, a batch at a time in offset order, until none is left: at once
    /// after a round that moved every letter it tried, otherwise after a wait that doubles from
    /// <see cref="DeadLetterRouter.FirstRetryDelay"/> to <see cref="DeadLetterRouter.MaxRetryDelay"/>. Ends when
    /// the broker stops (the originals wait in the log for the restart) or the partition is quarantined.</summary>
    private async Task RetryStrandedAsync(TimeSpan delay)
    {
        const int batchSize = 256;
        var router = Queue.DeadLetters;
        var rounds = 0;
        var moved = 0;
        QueueName? target = null;
        try
        {
            while (true)
            {
                await Task.Delay(delay, router.Stopping).ConfigureAwait(false);
                DeadLetterCopy[] batch;
                lock (_lock)
                {
                    if (_stranded.Count == 0 || _quarantine is not null)
                    {
                        _retryingDeadLetters = false;
                        break;
                    }

                    batch = [.. _stranded.Values.Take(batchSize)];
                }

                rounds++;
                // Asked each round: an operator may point the global target elsewhere meanwhile.
                target = router.TargetFor(Queue);
                if (target is null)
                {
                    lock (_lock)
                    {
                        _retryingDeadLetters = false;
                    }

                    return;
                }

                var sends = new Task<Exception?>[batch.Length];
                for (var i = 0; i < batch.Length; i++)
                {
                    sends[i] = router.SendAsync(target.Value, batch[i]);
                }

                var failures = await Task.WhenAll(sends).ConfigureAwait(false);
                var failed = 0;
                for (var i = 0; i < batch.Length; i++)
                {
                    if (failures[i] is null)
                    {
                        CompleteDeadLetter(batch[i]);
                        moved++;
                    }
                    else
                    {
                        failed++;
                    }
                }

                delay = failed == 0 ? TimeSpan.Zero
                    : failed < batch.Length ? DeadLetterRouter.FirstRetryDelay
                    : TimeSpan.FromTicks(Math.Clamp(delay.Ticks * 2, DeadLetterRouter.FirstRetryDelay.Ticks, DeadLetterRouter.MaxRetryDelay.Ticks));
            }
        }
        catch (OperationCanceledException)
        {
            lock (_lock)
            {
                _retryingDeadLetters = false;
            }

            return;
        }

        if (moved > 0 && target is { } reached)
        {
            _services.Logger.DeadLettersUnstranded(Index, Queue.Name, reached, moved, rounds);
        }
    }

    private void CompleteDeadLetter(DeadLetterCopy letter)
    {
        lock (_lock)
        {
            _stranded.Remove(letter.Offset);
            if (!IsStillLeavingLocked(letter) || _quarantine is not null)
            {
                return;
            }

            try
            {
                _log.Append(Records.DeadLetteredSize, static (span, s) => Records.WriteDeadLettered(span, s.Offset, s.Reason), (letter.Offset, letter.Reason));
            }
            catch (ObjectDisposedException)
            {
                // Closed by shutdown meanwhile: the pending record stands, so the restart routes the message again,
                // and the copy's idempotency key keeps the target from storing it twice.
                return;
            }

            RemoveLocked(letter.Entry);
            _deadLettering--;
            RefillIfLowLocked();
        }

        RequestFlush();
    }

    private bool IsStillLeavingLocked(DeadLetterCopy letter) =>
        letter.Entry.State == MessageState.DeadLettering && _messages.TryGetValue(letter.Offset, out var entry) && ReferenceEquals(entry, letter.Entry);

    // ---- recovery ---------------------------------------------------------------------------------------

    /// <summary>Called by recovery for every retained record, before and after the snapshot alike: a pending record
    /// starts a dead-lettering, the DeadLettered record after it finishes it. Both lie after the message's own
    /// record, which the log keeps while the message is unsettled, so neither has been deleted with old segments.</summary>
    private void TrackDeadLetterRecordLocked(ReadOnlySpan<byte> body)
    {
        switch (Records.TypeOf(body))
        {
            case RecordType.DeadLetterPending:
                var (offset, reason, error) = Records.ReadDeadLetterPending(body);
                (_unfinishedDeadLetters ??= [])[offset] = (reason, error);
                break;
            case RecordType.DeadLettered when _unfinishedDeadLetters is not null:
                _unfinishedDeadLetters.Remove(Records.ReadDeadLettered(body).Offset);
                break;
        }
    }

    /// <summary>Routes again a message entering the index whose dead-lettering a stop interrupted.</summary>
    /// <returns>True when it was one (it is then out of delivery, on its way to the target).</returns>
    private bool ResumeDeadLetterLocked(MessageEntry entry)
    {
        if (_unfinishedDeadLetters is null || !_unfinishedDeadLetters.Remove(entry.Offset, out var unfinished))
        {
            return false;
        }

        if (_unfinishedDeadLetters.Count == 0)
        {
            _unfinishedDeadLetters = null;
        }

        if (BeginDeadLetterLocked(entry, unfinished.Reason, unfinished.Error) is { } letter)
        {
            _stranded[letter.Offset] = letter;
            if (!_retryingDeadLetters)
            {
                // On the pool: the loop takes this partition's lock, which the caller holds.
                _retryingDeadLetters = true;
                _ = Task.Run(() => RetryStrandedAsync(TimeSpan.Zero));
            }
        }

        return true;
    }

    /// <summary>At the end of recovery: forgets unfinished dead-letterings of messages that are settled (only those
    /// still waiting past the index can yet be read back), and says how many are being routed again.</summary>
    private void FinishRecoveringDeadLettersLocked()
    {
        if (_unfinishedDeadLetters is not null)
        {
            var readBackFrom = HasUnindexed ? _cursor.Offset : _nextOffset;
            foreach (var offset in _unfinishedDeadLetters.Keys.Where(o => o < readBackFrom).ToList())
            {
                _unfinishedDeadLetters.Remove(offset);
            }

            if (_unfinishedDeadLetters.Count == 0)
            {
                _unfinishedDeadLetters = null;
            }
        }

        var resumed = _deadLettering + (_unfinishedDeadLetters?.Count ?? 0);
        if (resumed > 0)
        {
            _services.Logger.DeadLettersResumed(Index, Queue.Name, resumed);
        }
    }

    /// <summary>Drops every dead-lettering in progress (a recovery that failed and cleared the partition).</summary>
    private void ForgetDeadLettersLocked()
    {
        _stranded.Clear();
        _unfinishedDeadLetters = null;
        _deadLettering = 0;
    }
}
