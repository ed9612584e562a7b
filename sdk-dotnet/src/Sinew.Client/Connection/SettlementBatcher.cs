// Coalesces settlements issued close together into one Ack, Nack or ExtendLease frame each, so a consumer
// that settles every message does not pay a frame and a round trip per message; a batch longer than the
// broker's list limit goes out as several frames.
using Sinew.Client.Errors;
using Sinew.Protocol.Messages;

namespace Sinew.Client.Connection;

/// <summary>Collects acks, nacks and lease extensions and sends them in batches. The first item of an empty
/// batch schedules a flush on the thread pool; every item that arrives before the flush runs joins the same
/// frame, and a flush sends its ExtendLease, then its Nack, then its Ack frames. Each frame carries a request id
/// and is answered by SettleOk, whose failures are handed to the items they name.</summary>
internal sealed class SettlementBatcher
{
    private readonly SinewConnection _connection;
    private readonly object _gate = new();

    // One flush at a time, so that a flush asked for before a frame has finished queueing everything it took.
    private readonly object _flushing = new();
    private readonly Kind<ulong> _acks = new("Ack", 9);
    private readonly Kind<NackItem> _nacks = new("Nack", 1100);
    private readonly Kind<LeaseExtension> _extensions = new("ExtendLease", 20);
    private bool _scheduled;
    private Func<Exception>? _closed;

    public SettlementBatcher(SinewConnection connection)
    {
        _connection = connection;
    }

    public Task<IReadOnlyList<SettleFailure>> Ack(ulong deliveryId) => Enqueue(_acks, deliveryId);

    public Task<IReadOnlyList<SettleFailure>> Nack(NackItem item) => Enqueue(_nacks, item);

    public Task<IReadOnlyList<SettleFailure>> ExtendLease(LeaseExtension item) => Enqueue(_extensions, item);

    /// <summary>Sends what is waiting now, on the caller's thread, instead of when the scheduled flush runs: a frame
    /// queued next (an Unsubscribe, a Goodbye) then reaches the broker behind the settlements issued before it, so
    /// the broker settles those deliveries rather than returning them. A flush under way on another thread is waited
    /// for; the scheduled flush later finds nothing left.</summary>
    public void FlushNow() => Flush();

    /// <summary>Fails what has not been sent and refuses new items.</summary>
    public void Close(Func<Exception> error)
    {
        var batches = new List<SettleBatch>(3);
        lock (_gate)
        {
            _closed = error;
            _acks.TakeBatch(batches);
            _nacks.TakeBatch(batches);
            _extensions.TakeBatch(batches);
        }

        foreach (var batch in batches)
        {
            batch.Fail(error());
        }
    }

    private Task<IReadOnlyList<SettleFailure>> Enqueue<T>(Kind<T> kind, T item)
    {
        bool schedule;
        Task<IReadOnlyList<SettleFailure>> task;
        lock (_gate)
        {
            if (_closed is { } closed)
            {
                return Task.FromException<IReadOnlyList<SettleFailure>>(closed());
            }

            task = kind.Add(item);
            schedule = !_scheduled;
            _scheduled = true;
        }

        if (schedule)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static batcher => batcher.Flush(), this, preferLocal: false);
        }

        return task;
    }

    private void Flush()
    {
        lock (_flushing)
        {
            List<ulong> acks;
            List<NackItem> nacks;
            List<LeaseExtension> extensions;
            SettleBatch? ackBatch, nackBatch, extensionBatch;
            lock (_gate)
            {
                _scheduled = false;
                if (_acks.IsEmpty && _nacks.IsEmpty && _extensions.IsEmpty)
                {
                    return;
                }

                (acks, ackBatch) = _acks.Take();
                (nacks, nackBatch) = _nacks.Take();
                (extensions, extensionBatch) = _extensions.Take();
            }

            // Lease extensions first, then nacks, then acks, as every Sinew client sends them: a delivery extended and
            // settled in the same flush must still be held when its extension arrives, or the extension is stale.
            Send(_extensions, extensions, extensionBatch, static items => new ExtendLease(items));
            Send(_nacks, nacks, nackBatch, static items => new Nack(items));
            Send(_acks, acks, ackBatch, static ids => new Ack(ids));
        }
    }

    private void Send<T>(Kind<T> kind, List<T> items, SettleBatch? batch, Func<IReadOnlyList<T>, IWireMessage> frame)
    {
        if (batch is null || items.Count == 0)
        {
            return;
        }

        // Frames stay within the broker's size and list limits: a chunk holds as many items as fit with room to
        // spare, and never more than the broker takes in one list (it would refuse the whole frame).
        var perFrame = Math.Clamp((_connection.MaxBodyBytes - 64) / kind.MaxItemBytes, 1, _connection.MaxListItems);
        var chunks = (items.Count + perFrame - 1) / perFrame;
        batch.ExpectChunks(chunks);
        for (var start = 0; start < items.Count; start += perFrame)
        {
            var count = Math.Min(perFrame, items.Count - start);
            IReadOnlyList<T> slice = chunks == 1 ? items : items.GetRange(start, count);
            var chunk = new SettleChunk(batch, kind.Name, count);
            try
            {
                _connection.SendSettlement(chunk, frame(slice));
            }
            catch (Exception e) when (e is SinewException)
            {
                batch.ChunkFailed(e);
            }
        }

        lock (_gate)
        {
            kind.Recycle(items);
        }
    }

    /// <summary>The items of one frame type waiting to be sent, and the batch their callers wait on.</summary>
    private sealed class Kind<T>(string name, int maxItemBytes)
    {
        private List<T> _items = [];
        private List<T>? _spare;
        private SettleBatch? _batch;

        public string Name { get; } = name;

        public bool IsEmpty => _items.Count == 0;

        /// <summary>A generous bound on an item's encoded size (a nack may carry a 1024-byte reason).</summary>
        public int MaxItemBytes { get; } = maxItemBytes;

        public Task<IReadOnlyList<SettleFailure>> Add(T item)
        {
            _items.Add(item);
            return (_batch ??= new SettleBatch()).Task;
        }

        public (List<T> Items, SettleBatch? Batch) Take()
        {
            var taken = (_items, _batch);
            _items = _spare ?? [];
            _spare = null;
            _batch = null;
            return taken;
        }

        public void TakeBatch(List<SettleBatch> into)
        {
            if (_batch is not null)
            {
                into.Add(_batch);
            }

            _batch = null;
            _items.Clear();
        }

        /// <summary>Keeps a sent list for the next batch; frames are encoded before sending returns, so the list is free.</summary>
        public void Recycle(List<T> items)
        {
            items.Clear();
            _spare = items;
        }
    }
}

/// <summary>The callers of one flush of one frame type: completes when every chunk has been answered, with the
/// failures of all of them.</summary>
internal sealed class SettleBatch() : TaskCompletionSource<IReadOnlyList<SettleFailure>>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    private readonly object _gate = new();
    private List<SettleFailure>? _failures;
    private int _remaining;

    public void ExpectChunks(int chunks)
    {
        lock (_gate)
        {
            _remaining = chunks;
        }
    }

    public void ChunkSettled(IReadOnlyList<SettleFailure> failures)
    {
        lock (_gate)
        {
            if (failures.Count > 0)
            {
                (_failures ??= []).AddRange(failures);
            }

            if (--_remaining > 0)
            {
                return;
            }
        }

        TrySetResult(_failures ?? (IReadOnlyList<SettleFailure>)[]);
    }

    public void ChunkFailed(Exception error) => TrySetException(error);

    public void Fail(Exception error) => TrySetException(error);
}

/// <summary>One settlement frame on the wire.</summary>
internal sealed class SettleChunk(SettleBatch batch, string kind, int count) : IPendingRequest
{
    public uint RequestId { get; set; }

    public long DeadlineMs { get; set; }

    public string Describe() => count == 1 ? $"{kind} of a delivery" : $"{kind} of {count} deliveries";

    public void Complete(IWireMessage reply)
    {
        switch (reply)
        {
            case SettleOk ok:
                batch.ChunkSettled(ok.Failures);
                break;
            case Error error:
                batch.ChunkFailed(BrokerErrors.FromError(error, Describe()));
                break;
            default:
                batch.ChunkFailed(new ProtocolException($"{Describe()} was answered with {reply.Opcode} instead of SettleOk."));
                break;
        }
    }

    public void Fail(Exception error) => batch.ChunkFailed(error);
}
