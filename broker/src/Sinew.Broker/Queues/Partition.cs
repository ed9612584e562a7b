// One partition of a queue: its log, its unsettled messages and every rule about them — when a message
// becomes deliverable, who receives it, what settling it does, leases, delays, expiry and dead-lettering.
// All state is guarded by one lock; work that touches other partitions, the network or callbacks is
// collected while the lock is held and run after it is released, so partition locks never nest.
using Sinew.Broker.Diagnostics;
using Sinew.Broker.Engine;
using Sinew.Broker.Storage;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Timing;

namespace Sinew.Broker.Queues;

/// <summary>Where an appended message went and the log position that must be durable before it counts.</summary>
internal readonly record struct AppendResult(uint Partition, long Offset, long LsnEnd);

/// <summary>A partition of a queue.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001",
    Justification = "The only disposable field is a SemaphoreSlim whose wait handle is never taken; it holds nothing to release.")]
internal sealed partial class Partition : IScheduledPartition
{
    private readonly object _lock = new();
    private readonly object _flushLock = new();
    // Held from the end of a dispatch's critical section until its deliveries are handed to their sessions.
    private readonly object _sendGate = new();
    private readonly Dictionary<long, MessageEntry> _messages = [];
    private readonly ReadyQueue _ready = new();
    private readonly PriorityQueue<(MessageEntry Entry, int Ticket), long> _delayed = new();
    private readonly PriorityQueue<(MessageEntry Entry, long DeliveryId), long> _leases = new();
    private readonly PriorityQueue<MessageEntry, long> _expiries = new();
    private readonly Queue<(long LsnEnd, MessageEntry Entry)> _awaitingDurability = new();
    private readonly Queue<(long LsnEnd, Action<BrokerErrorException?> Callback)> _durabilityWaiters = new();
    private readonly List<ServerSubscription> _consumers = [];
    private readonly BrokerServices _services;
    private readonly PartitionLog _log;
    private int _nextConsumer;
    private long _nextOffset;
    private long _durableEnd;
    private long _snapshotLsn;

    // One snapshot at a time: a periodic one may still be running when shutdown takes the last, and
    // both would write the same file.
    private readonly SemaphoreSlim _snapshotGate = new(1, 1);
    private int _inflight;
    private int _delayedCount;
    private int _flushRequested;
    private long _timerDueMs = long.MaxValue;
    private string? _quarantine;

    // Set while the log cannot be written (a failed write or fsync): the partition takes no writes and
    // delivers nothing, and the flush is retried with backoff until it succeeds.
    private BrokerErrorException? _parked;
    private long _flushRetryAtMs;
    private long _flushRetryDelayMs;

    public Partition(Queue queue, uint index, PartitionLog log, BrokerServices services)
    {
        Queue = queue;
        Index = index;
        _log = log;
        _services = services;
    }

    public Queue Queue { get; }

    public uint Index { get; }

    public QueueName QueueName => Queue.Name;

    internal PartitionLog Log => _log;

    /// <summary>Why the partition is quarantined, or null when it serves.</summary>
    public string? QuarantineReason => Volatile.Read(ref _quarantine);

    /// <summary>Why the partition's log cannot be written at the moment, or null when it can.</summary>
    public string? ParkedReason => Volatile.Read(ref _parked)?.Message;

    private long NowMs => _services.Time.GetUtcNow().ToUnixTimeMilliseconds();

    // ---- statistics ---------------------------------------------------------------------------------

    public PartitionStats Stats
    {
        get
        {
            lock (_lock)
            {
                return new PartitionStats(Index, _messages.Count, _ready.Count, _delayedCount, _inflight, _nextOffset, _consumers.Count, _quarantine);
            }
        }
    }

    // ---- publishing ---------------------------------------------------------------------------------

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

            var offset = _nextOffset++;
            var record = new MessageRecord(offset, now, expiresAtMs, notBeforeMs, message.ProducerId, message.Sequence, message.Body);
            var lsn = _log.Append(Records.MessageSize(record), static (span, r) => Records.WriteMessage(span, r), record);
            var lsnEnd = _log.AppendedEnd;
            var entry = new MessageEntry(offset, lsn, now, expiresAtMs)
            {
                NotBeforeMs = notBeforeMs,
                State = MessageState.Pending,
            };
            HoldBodyLocked(entry, message.Body, force: false);
            _messages.Add(offset, entry);
            _awaitingDurability.Enqueue((lsnEnd, entry));
            result = new AppendResult(Index, offset, lsnEnd);
        }

        Queue.Metrics.Published.Inc();
        RequestFlush();
        return result;
    }

    /// <summary>Runs <paramref name="callback"/> with null once the log is durable up to
    /// <paramref name="lsnEnd"/> (at once if it already is), or with the error when the write fails first
    /// (at once if the log cannot be written now). The callback runs with no partition lock held.</summary>
    public void WhenDurable(long lsnEnd, Action<BrokerErrorException?> callback)
    {
        BrokerErrorException? failure = null;
        lock (_lock)
        {
            if (_durableEnd < lsnEnd)
            {
                if (_parked is null)
                {
                    _durabilityWaiters.Enqueue((lsnEnd, callback));
                    return;
                }

                failure = _parked;
            }
        }

        callback(failure);
    }

    /// <summary>Completes once the log is durable up to <paramref name="lsnEnd"/>; faults with a
    /// <see cref="BrokerErrorException"/> when the write fails.</summary>
    public Task WhenDurableAsync(long lsnEnd)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        WhenDurable(lsnEnd, failure =>
        {
            if (failure is null)
            {
                done.SetResult();
            }
            else
            {
                done.SetException(failure);
            }
        });
        return done.Task;
    }

    /// <summary>The log position up to which everything is durable.</summary>
    public long DurableEnd => Volatile.Read(ref _durableEnd);

    private void RequestFlush()
    {
        if (Interlocked.Exchange(ref _flushRequested, 1) == 0)
        {
            _services.Flusher.Enqueue(this);
        }
    }

    /// <summary>Called by the flusher: writes and fsyncs what was appended, then makes it count.</summary>
    public void FlushNow()
    {
        // One flush at a time per partition: the flusher thread and a closing partition may both call this.
        lock (_flushLock)
        {
            FlushLocked();
        }
    }

    private void FlushLocked()
    {
        Volatile.Write(ref _flushRequested, 0);
        long end;
        try
        {
            end = _log.Flush();
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever the exception (an I/O error, a full disk, a permission taken away), nothing past the
            // durable end may count: fail every waiter and park until a retry writes the same bytes.
            Park(e);
            return;
        }

        if (end >= 0)
        {
            OnDurable(end);
        }
        else if (Volatile.Read(ref _parked) is not null)
        {
            // Nothing was left to write (the log was closed meanwhile): nothing is waiting either.
            OnDurable(_log.DurableEnd);
        }
    }

    private void OnDurable(long end)
    {
        List<Action<BrokerErrorException?>>? callbacks = null;
        List<Action>? deferred = null;
        var resumed = false;
        lock (_lock)
        {
            _durableEnd = end;
            if (_parked is not null)
            {
                _parked = null;
                _flushRetryDelayMs = 0;
                resumed = true;

                // Deadlines that passed while parked are handled now.
                _timerDueMs = long.MaxValue;
                ScheduleTimerLocked(NowMs);
            }

            var now = NowMs;
            while (_awaitingDurability.TryPeek(out var head) && head.LsnEnd <= end)
            {
                _awaitingDurability.Dequeue();
                var entry = head.Entry;
                if (entry.State != MessageState.Pending)
                {
                    continue;
                }

                if (entry.ExpiresAtMs != 0)
                {
                    _expiries.Enqueue(entry, entry.ExpiresAtMs);
                    ScheduleTimerLocked(entry.ExpiresAtMs);
                }

                if (entry.IsExpired(now))
                {
                    DeadLetterLocked(entry, DeadLetterReason.Expired, null, ref deferred);
                }
                else if (entry.NotBeforeMs > now)
                {
                    DelayLocked(entry, entry.NotBeforeMs);
                }
                else
                {
                    _ready.AddFresh(entry);
                }
            }

            while (_durabilityWaiters.TryPeek(out var waiter) && waiter.LsnEnd <= end)
            {
                _durabilityWaiters.Dequeue();
                (callbacks ??= []).Add(waiter.Callback);
            }
        }

        if (resumed)
        {
            _services.Resumed(this);
        }

        if (callbacks is not null)
        {
            foreach (var callback in callbacks)
            {
                callback(null);
            }
        }

        RunAll(deferred);
        Dispatch();
        _services.Maintenance.MaybeSnapshot(this, end - Volatile.Read(ref _snapshotLsn));
    }

    /// <summary>Stops taking writes after a failed flush: fails every durability waiter, and schedules a
    /// retry with backoff (50 ms doubling to 5 s, for as long as it takes: the partition cannot serve
    /// writes until its log can be written, and an operator fixing the disk should not need a restart).</summary>
    private void Park(Exception failure)
    {
        var outOfSpace = StorageFailure.IsOutOfSpace(failure);
        var error = new BrokerErrorException(
            outOfSpace ? ErrorCode.ResourceExhausted : ErrorCode.Unavailable,
            outOfSpace
                ? $"partition {Index} of queue {Queue.Name} cannot write its log: the disk is full ({failure.Message}); writing resumes when space is freed"
                : $"partition {Index} of queue {Queue.Name} cannot write its log: {failure.Message}; it retries by itself",
            Queue.ErrorDetails(Index));
        List<Action<BrokerErrorException?>> failed = [];
        bool first;
        lock (_lock)
        {
            first = _parked is null;
            _parked = error;
            while (_durabilityWaiters.TryDequeue(out var waiter))
            {
                failed.Add(waiter.Callback);
            }

            _flushRetryDelayMs = Math.Clamp(_flushRetryDelayMs * 2, 50, 5000);
            _flushRetryAtMs = NowMs + _flushRetryDelayMs;
            ScheduleTimerLocked(_flushRetryAtMs);
        }

        _services.Metrics.WriteFailures.Inc();
        if (first)
        {
            _services.Parked(this, error.Message, failure);
        }

        foreach (var callback in failed)
        {
            callback(error);
        }
    }

    // ---- consumers ----------------------------------------------------------------------------------

    public void Attach(ServerSubscription subscription)
    {
        lock (_lock)
        {
            ThrowIfQuarantined();
            _consumers.Add(subscription);
        }

        Dispatch();
    }

    /// <summary>Stops delivering to <paramref name="subscription"/>. When this returns, every delivery this
    /// partition made to it has been handed to its session, so what the session sends next comes after them.</summary>
    public void Detach(ServerSubscription subscription)
    {
        lock (_lock)
        {
            _consumers.Remove(subscription);
        }

        // A dispatch that chose the subscription before it was removed holds the gate until it has sent.
        lock (_sendGate)
        {
        }
    }

    /// <summary>Delivers ready messages to consumers with credit, round-robin, one message per consumer
    /// per turn. The deliveries are made under the lock and sent after it is released, under the send gate,
    /// which is taken before the lock is let go: so a consumer sees its partition's deliveries in the order
    /// they were made, and appends and settlements need not wait for frames to be encoded.</summary>
    public void Dispatch()
    {
        List<Action>? deferred = null;
        Dictionary<ServerSubscription, List<Delivery>>? batches = null;
        var sending = false;
        try
        {
            lock (_lock)
            {
                if (_quarantine is not null || _parked is not null || _consumers.Count == 0 || _ready.Count == 0)
                {
                    return;
                }

                batches = DeliverLocked(ref deferred);
                if (batches is not null)
                {
                    Monitor.Enter(_sendGate, ref sending);
                }
            }

            if (batches is not null)
            {
                Send(batches);
            }
        }
        finally
        {
            if (sending)
            {
                Monitor.Exit(_sendGate);
            }
        }

        RunAll(deferred);
    }

    private Dictionary<ServerSubscription, List<Delivery>>? DeliverLocked(ref List<Action>? deferred)
    {
        var now = NowMs;
        Dictionary<ServerSubscription, List<Delivery>>? batches = null;
        var consumersWithoutCredit = 0;
        while (_ready.Count > 0 && consumersWithoutCredit < _consumers.Count)
        {
            var subscription = _consumers[_nextConsumer++ % _consumers.Count];
            if (!subscription.Target.HasDeliveryRoom || !subscription.TryTakeCredit())
            {
                consumersWithoutCredit++;
                continue;
            }

            if (!_ready.TryTake(out var entry))
            {
                subscription.ReturnUnusedCredit();
                break;
            }

            consumersWithoutCredit = 0;
            if (entry.IsExpired(now))
            {
                subscription.ReturnUnusedCredit();
                DeadLetterLocked(entry, DeadLetterReason.Expired, null, ref deferred);
                continue;
            }

            MessageBody body;
            try
            {
                body = BodyLocked(entry);
            }
            catch (InvalidDataException e)
            {
                subscription.ReturnUnusedCredit();
                QuarantineLocked($"message {entry.Offset} cannot be read back: {e.Message}");
                break;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The disk could not be read this time (the bytes are not known to be damaged): the message
                // stays ready, with its credit given back, for the next dispatch.
                subscription.ReturnUnusedCredit();
                _ready.AddReturned(entry);
                _services.Logger.BodyReadFailed(e, entry.Offset, Index, Queue.Name);
                break;
            }

            var deliveryId = subscription.Target.NextDeliveryId();
            entry.State = MessageState.Inflight;
            entry.DeliveryCount++;
            entry.DeliveryId = deliveryId;
            entry.Holder = subscription;
            _inflight++;
            if (subscription.AckPolicy == AckPolicy.Manual)
            {
                entry.LeaseDeadlineMs = DurationRules.Deadline(now, Queue.Settings.LeaseMs);
                _leases.Enqueue((entry, deliveryId), entry.LeaseDeadlineMs);
                ScheduleTimerLocked(entry.LeaseDeadlineMs);
            }

            subscription.Target.TrackDelivery(deliveryId, this, entry.Offset, subscription);
            batches ??= [];
            if (!batches.TryGetValue(subscription, out var batch))
            {
                batches[subscription] = batch = [];
            }

            var delivery = new Delivery(deliveryId, Index, entry.Offset, entry.DeliveryCount, entry.PublishedAtMs, body);
            subscription.Target.CountPendingDelivery(delivery);
            batch.Add(delivery);
        }

        return batches;
    }

    private void Send(Dictionary<ServerSubscription, List<Delivery>> batches)
    {
        foreach (var (subscription, batch) in batches)
        {
            Queue.Metrics.Delivered.Inc(batch.Count);
            Action? onWritten = null;
            if (subscription.AckPolicy == AckPolicy.Auto)
            {
                var settled = batch.Select(d => (d.Offset, d.DeliveryId)).ToArray();
                onWritten = () => AutoAcknowledge(settled);
            }

            subscription.Target.SendDeliver(subscription.Id, batch, onWritten);
        }
    }

    // ---- settlement ---------------------------------------------------------------------------------

    /// <summary>Settles deliveries as done. The delivery ids of items this session no longer holds are added
    /// to <paramref name="stale"/>.</summary>
    /// <returns>The log position that must be durable before the settlement is confirmed.</returns>
    public long Ack(IReadOnlyList<(long Offset, long DeliveryId)> items, List<long> stale)
    {
        var released = new Dictionary<ServerSubscription, int>();
        long lsnEnd;
        List<long> settled;
        lock (_lock)
        {
            ThrowIfNotWritable();
            settled = new List<long>(items.Count);
            foreach (var (offset, deliveryId) in items)
            {
                if (!TryTakeInflightLocked(offset, deliveryId, out var entry, out var holder))
                {
                    stale.Add(deliveryId);
                    continue;
                }

                settled.Add(offset);
                RemoveLocked(entry);
                released[holder] = released.GetValueOrDefault(holder) + 1;
            }

            if (settled.Count > 0)
            {
                _log.Append(Records.AckSize(settled.Count),
                    static (span, offsets) => Records.WriteAck(span, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(offsets)), settled);
            }

            lsnEnd = _log.AppendedEnd;
        }

        // Only what this partition settled: the failures list is shared with the caller's other partitions.
        Queue.Metrics.Acked.Inc(settled.Count);
        RequestFlush();
        foreach (var (subscription, count) in released)
        {
            subscription.Release(count);
        }

        return lsnEnd;
    }

    /// <summary>Settles one delivery as done: the common case of a consumer acking each message.</summary>
    /// <returns>The log position to wait for, or -1 when the delivery is not held by the caller.</returns>
    public long AckOne(long offset, long deliveryId)
    {
        ServerSubscription holder;
        long lsnEnd;
        lock (_lock)
        {
            ThrowIfNotWritable();
            if (!TryTakeInflightLocked(offset, deliveryId, out var entry, out holder))
            {
                return -1;
            }

            RemoveLocked(entry);
            _log.Append(Records.AckSize(1), static (span, o) => Records.WriteAck(span, [o]), offset);
            lsnEnd = _log.AppendedEnd;
        }

        Queue.Metrics.Acked.Inc();
        RequestFlush();
        holder.Release(1);
        return lsnEnd;
    }

    /// <summary>Fails, retries or delays one delivery.</summary>
    /// <returns>The error code when the delivery is not held by the caller, otherwise null.</returns>
    public ErrorCode? Nack(long offset, long deliveryId, bool requeue, long notBeforeMs, string? reason, out long lsnEnd)
    {
        List<Action>? deferred = null;
        ServerSubscription? holder;
        lock (_lock)
        {
            ThrowIfNotWritable();
            if (!TryTakeInflightLocked(offset, deliveryId, out var entry, out holder))
            {
                lsnEnd = _log.AppendedEnd;
                return ErrorCode.StaleDelivery;
            }

            if (!requeue)
            {
                DeadLetterLocked(entry, DeadLetterReason.TerminalNack, reason, ref deferred);
            }
            else
            {
                RetryOrExhaustLocked(entry, notBeforeMs, ref deferred);
            }

            lsnEnd = _log.AppendedEnd;
        }

        Queue.Metrics.Nacked.Inc();
        RequestFlush();
        RunAll(deferred);
        holder.Release(1);
        Dispatch();
        return null;
    }

    /// <summary>Restarts the lease of a delivery the consumer is still working on.</summary>
    public ErrorCode? ExtendLease(long offset, long deliveryId, ulong? extendMs)
    {
        lock (_lock)
        {
            ThrowIfQuarantined();
            if (!_messages.TryGetValue(offset, out var entry) || entry.State != MessageState.Inflight || entry.DeliveryId != deliveryId)
            {
                return ErrorCode.StaleDelivery;
            }

            if (entry.Holder?.AckPolicy == AckPolicy.Manual)
            {
                entry.LeaseDeadlineMs = DurationRules.Deadline(NowMs, extendMs ?? Queue.Settings.LeaseMs);
                _leases.Enqueue((entry, deliveryId), entry.LeaseDeadlineMs);
                ScheduleTimerLocked(entry.LeaseDeadlineMs);
            }

            return null;
        }
    }

    /// <summary>Puts a delivery back, ready for other consumers, because its subscription or session
    /// ended. This is not a failed attempt: it never dead-letters.</summary>
    public void Return(long offset, long deliveryId)
    {
        List<Action>? deferred = null;
        ServerSubscription? holder;
        lock (_lock)
        {
            if (_quarantine is not null || !TryTakeInflightLocked(offset, deliveryId, out var entry, out holder))
            {
                return;
            }

            RequeueLocked(entry, 0, ref deferred);
        }

        RequestFlush();
        RunAll(deferred);
        holder.Release(1);
        Dispatch();
    }

    private void AutoAcknowledge((long Offset, long DeliveryId)[] written)
    {
        try
        {
            Ack(written, []);
        }
        catch (BrokerErrorException)
        {
            // Quarantined meanwhile: the messages stay unsettled and recovery decides.
        }
    }

    private bool TryTakeInflightLocked(long offset, long deliveryId, out MessageEntry entry, out ServerSubscription holder)
    {
        if (_messages.TryGetValue(offset, out entry!) && entry.State == MessageState.Inflight && entry.DeliveryId == deliveryId
            && entry.Holder is { } h)
        {
            holder = h;
            entry.Holder = null;
            entry.DeliveryId = 0;
            _inflight--;
            return true;
        }

        holder = null!;
        return false;
    }

    private void RetryOrExhaustLocked(MessageEntry entry, long notBeforeMs, ref List<Action>? deferred)
    {
        if (entry.DeliveryCount >= Queue.Settings.MaxRetries + 1)
        {
            DeadLetterLocked(entry, DeadLetterReason.RetriesExhausted, null, ref deferred);
        }
        else
        {
            RequeueLocked(entry, notBeforeMs, ref deferred);
        }
    }

    private void RequeueLocked(MessageEntry entry, long notBeforeMs, ref List<Action>? deferred)
    {
        var now = NowMs;
        if (entry.IsExpired(now))
        {
            DeadLetterLocked(entry, DeadLetterReason.Expired, null, ref deferred);
            return;
        }

        _log.Append(Records.RequeueSize, static (span, s) => Records.WriteRequeue(span, s.Offset, s.DeliveryCount, s.notBeforeMs),
            (entry.Offset, entry.DeliveryCount, notBeforeMs));
        if (notBeforeMs > now)
        {
            DelayLocked(entry, notBeforeMs);
        }
        else
        {
            entry.NotBeforeMs = 0;
            _ready.AddReturned(entry);
        }
    }

    private void DelayLocked(MessageEntry entry, long notBeforeMs)
    {
        entry.NotBeforeMs = notBeforeMs;
        entry.State = MessageState.Delayed;
        entry.Ticket++;
        _delayed.Enqueue((entry, entry.Ticket), notBeforeMs);
        _delayedCount++;
        ScheduleTimerLocked(notBeforeMs);
    }

    private void RemoveLocked(MessageEntry entry)
    {
        _messages.Remove(entry.Offset);
        DropBodyLocked(entry);
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

    // ---- dead-lettering -----------------------------------------------------------------------------

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
        }

        RequestFlush();
    }

    // ---- timers -------------------------------------------------------------------------------------

    private void ScheduleTimerLocked(long dueMs)
    {
        if (dueMs < _timerDueMs)
        {
            _timerDueMs = dueMs;
            _services.Timers.Schedule(this, dueMs);
        }
    }

    /// <summary>Called by the timer scheduler: promotes due delayed messages, expires leases and TTLs.</summary>
    public void OnTimer()
    {
        List<Action>? deferred = null;
        Dictionary<ServerSubscription, int>? released = null;
        var changed = false;
        var retryFlush = false;
        lock (_lock)
        {
            _timerDueMs = long.MaxValue;
            if (_quarantine is not null)
            {
                return;
            }

            var now = NowMs;
            if (_parked is not null)
            {
                // Frozen until the log can be written: leases and delays wait too, so nothing is retried
                // or dead-lettered because of a disk that failed.
                if (now >= _flushRetryAtMs)
                {
                    retryFlush = true;
                }
                else
                {
                    ScheduleTimerLocked(_flushRetryAtMs);
                }
            }
            else
            {
                changed = OnTimerLocked(now, ref deferred, ref released);
            }
        }

        if (retryFlush)
        {
            RequestFlush();
            return;
        }

        if (changed)
        {
            RequestFlush();
        }

        RunAll(deferred);
        if (released is not null)
        {
            foreach (var (subscription, count) in released)
            {
                subscription.Release(count);
            }
        }

        Dispatch();
    }

    /// <summary>Promotes due delayed messages, expires leases and TTLs, and asks to be woken at the next
    /// deadline; the wake-up is scheduled even if handling one entry throws, so one failure cannot leave
    /// every later deadline of the partition unserved.</summary>
    private bool OnTimerLocked(long now, ref List<Action>? deferred, ref Dictionary<ServerSubscription, int>? released)
    {
        var changed = false;
        try
        {
            while (_delayed.TryPeek(out var item, out var due) && due <= now)
            {
                _delayed.Dequeue();
                if (item.Entry.State != MessageState.Delayed || item.Entry.Ticket != item.Ticket)
                {
                    continue;
                }

                _delayedCount--;
                changed = true;
                if (item.Entry.IsExpired(now))
                {
                    DeadLetterLocked(item.Entry, DeadLetterReason.Expired, null, ref deferred);
                }
                else
                {
                    item.Entry.NotBeforeMs = 0;
                    _ready.AddReturned(item.Entry);
                }
            }

            while (_leases.TryPeek(out var lease, out var deadline) && deadline <= now)
            {
                _leases.Dequeue();
                var entry = lease.Entry;
                if (entry.State != MessageState.Inflight || entry.DeliveryId != lease.DeliveryId || entry.LeaseDeadlineMs > now)
                {
                    continue;
                }

                var holder = entry.Holder!;
                holder.Target.ForgetDelivery(lease.DeliveryId);
                TryTakeInflightLocked(entry.Offset, lease.DeliveryId, out _, out _);
                RetryOrExhaustLocked(entry, 0, ref deferred);
                released ??= [];
                released[holder] = released.GetValueOrDefault(holder) + 1;
                changed = true;
                Queue.Metrics.LeaseExpired.Inc();
            }

            while (_expiries.TryPeek(out var entry, out var expiresAt) && expiresAt <= now)
            {
                _expiries.Dequeue();
                if (!_messages.ContainsKey(entry.Offset))
                {
                    continue;
                }

                switch (entry.State)
                {
                    case MessageState.Ready:
                        _ready.Forget(entry);
                        DeadLetterLocked(entry, DeadLetterReason.Expired, null, ref deferred);
                        changed = true;
                        break;
                    case MessageState.Delayed:
                        entry.Ticket++;
                        _delayedCount--;
                        DeadLetterLocked(entry, DeadLetterReason.Expired, null, ref deferred);
                        changed = true;
                        break;
                }
            }
        }
        finally
        {
            var next = long.MaxValue;
            if (_delayed.TryPeek(out _, out var nextDelay))
            {
                next = Math.Min(next, nextDelay);
            }

            if (_leases.TryPeek(out _, out var nextLease))
            {
                next = Math.Min(next, nextLease);
            }

            if (_expiries.TryPeek(out _, out var nextExpiry))
            {
                next = Math.Min(next, nextExpiry);
            }

            if (next != long.MaxValue)
            {
                ScheduleTimerLocked(next);
            }
        }

        return changed;
    }

    // ---- quarantine and helpers ---------------------------------------------------------------------

    /// <summary>Refuses writes while quarantined or parked, with the typed error that says which.</summary>
    private void ThrowIfNotWritable()
    {
        ThrowIfQuarantined();
        if (_parked is { } parked)
        {
            throw parked;
        }
    }

    private void ThrowIfQuarantined()
    {
        if (_quarantine is { } reason)
        {
            throw new BrokerErrorException(ErrorCode.Quarantined,
                $"partition {Index} of queue {Queue.Name} is quarantined: {reason}. An operator must repair it.",
                Queue.ErrorDetails(Index));
        }
    }

    private void QuarantineLocked(string reason)
    {
        if (_quarantine is not null)
        {
            return;
        }

        _quarantine = reason;
        _services.Quarantined(this, reason);
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

    private static void RunAll(List<Action>? actions)
    {
        if (actions is null)
        {
            return;
        }

        foreach (var action in actions)
        {
            action();
        }
    }
}

/// <summary>A point-in-time view of a partition for metrics and the admin surface.</summary>
internal sealed record PartitionStats(
    uint Index,
    int Unsettled,
    int Ready,
    int Delayed,
    int Inflight,
    long NextOffset,
    int Consumers,
    string? Quarantine);
