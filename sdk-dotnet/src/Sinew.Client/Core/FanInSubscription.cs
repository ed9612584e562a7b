// The machinery of a subscription to one queue: its broker subscriptions (one per partition, or one for all) merged
// into one buffer of received messages, flow control on that buffer, and how the whole ends.
using System.Threading.Channels;
using Sinew.Client.Connection;
using Sinew.Client.Diagnostics;
using Sinew.Client.Routing;

namespace Sinew.Client.Core;

/// <summary>The broker subscriptions behind one subscription, merged. Their connection routes each one's frames to its
/// <see cref="PartitionSubscription"/>, which buffers messages here on the read loop; the consumer takes them from
/// another thread.</summary>
/// <remarks>When one partition subscription ends on its own, the whole ends with that reason and the others are
/// unsubscribed. An auto-ack subscription asks its connection to stop reading the socket while it holds
/// <c>Prefetch</c> × its broker subscriptions messages not yet taken, and to read again once half are left.</remarks>
internal sealed class FanInSubscription
{
    private readonly ClientCore _core;
    private readonly IReadPause _connection;

    // Fixed when subscribing, so the threshold does not move while the partition subscriptions are being accepted.
    private readonly int _pauseAt;
    private readonly Channel<ReceivedMessage> _buffer = Channel.CreateUnbounded<ReceivedMessage>(
        new UnboundedChannelOptions { SingleReader = false, SingleWriter = false, AllowSynchronousContinuations = false });

    private readonly object _gate = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IReadOnlyList<PartitionSubscription> _sources = [];
    private bool _isEnded;
    private Task? _closing;
    private int _pausingReading;

    public FanInSubscription(ClientCore core, IReadPause connection, QueueKey queue, AckMode ackMode, int prefetch, int brokerSubscriptions)
    {
        _core = core;
        _connection = connection;
        Queue = queue;
        AckMode = ackMode;
        Prefetch = prefetch;
        _pauseAt = (int)Math.Min((long)prefetch * Math.Max(1, brokerSubscriptions), int.MaxValue);
    }

    /// <summary>The client the subscription belongs to.</summary>
    public ClientCore Core => _core;

    public QueueKey Queue { get; }

    public AckMode AckMode { get; }

    public int Prefetch { get; }

    /// <summary>The partitions covered, as the broker reported them.</summary>
    public IReadOnlyList<int> Partitions { get; private set; } = [];

    /// <summary>Whether messages may still arrive.</summary>
    public bool IsActive
    {
        get
        {
            lock (_gate)
            {
                return !_isEnded;
            }
        }
    }

    /// <summary>Why the subscription ended; null while active and after the caller closed it.</summary>
    public SubscriptionEndReason? EndReason { get; private set; }

    /// <summary>Completes when the subscription has ended, for whatever reason.</summary>
    public Task Completion => _ended.Task;

    /// <summary>Messages received and not yet taken.</summary>
    public int Buffered => _buffer.Reader.Count;

    /// <summary>Takes the next buffered message to hand to the application, if there is one. A manual-ack message
    /// counts as handed out from here until it is settled.</summary>
    public bool TryTake(out ReceivedMessage message)
    {
        while (_buffer.Reader.TryRead(out message))
        {
            AfterTake();

            // Once the subscription's Unsubscribe (or the session's Goodbye) has named what the application holds,
            // the broker returns the rest without counting a failure, so a message taken in that race is dropped
            // like the others still buffered, not handed out.
            if (AckMode == AckMode.Auto || message.Source.HandedOut.TryAdd(message.Message.DeliveryId))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Waits until a message is buffered.</summary>
    /// <returns>False once the caller closed the subscription.</returns>
    /// <exception cref="SubscriptionEndedException">The subscription ended for another reason (after an auto-ack
    /// subscription's remaining messages were taken).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; the subscription stays open.</exception>
    public ValueTask<bool> WaitToTakeAsync(CancellationToken cancellationToken) => _buffer.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>Unsubscribes every partition subscription (the broker returns unsettled deliveries to the queue)
    /// and ends the subscription quietly. Every call waits for the same close.</summary>
    public Task CloseAsync(CancellationToken cancellationToken)
    {
        Task closing;
        lock (_gate)
        {
            _closing ??= CloseCoreAsync(null, "closed by the caller", CancellationToken.None);
            closing = _closing;
        }

        return closing.WaitAsync(cancellationToken);
    }

    /// <summary>Ends the subscription because the client is closing: taking fails with <c>client_closed</c>.</summary>
    public Task CloseForClientAsync(CancellationToken cancellationToken)
    {
        Task closing;
        lock (_gate)
        {
            _closing ??= CloseCoreAsync(SubscriptionEndReason.ClientClosed, "the client was closed", cancellationToken);
            closing = _closing;
        }

        return closing;
    }

    /// <summary>Records the broker subscriptions that were accepted.</summary>
    public void Activate(IReadOnlyList<PartitionSubscription> sources)
    {
        lock (_gate)
        {
            _sources = sources;
        }

        Partitions = [.. sources.SelectMany(s => s.Partitions).Select(p => (int)p).Order()];
    }

    /// <summary>Buffers a message; runs on the read loop.</summary>
    public void Enqueue(ReceivedMessage message)
    {
        if (!_buffer.Writer.TryWrite(message))
        {
            return;
        }

        // Manual ack is bounded by prefetch at the broker; auto ack only by how fast the socket is read. Only the
        // read loop pauses; the consumer lifts the pause, from another thread, whenever it takes a message.
        if (AckMode == AckMode.Auto && Volatile.Read(ref _pausingReading) == 0 && _buffer.Reader.Count >= _pauseAt)
        {
            // The connection holds the pause before the flag announces it, so a consumer that sees the flag always
            // finds a pause to lift. The other way round, a consumer draining the buffer in between would clear the
            // flag and lift nothing, and the socket would stay paused with nobody left to resume it.
            _connection.PauseReading(this);
            Interlocked.Exchange(ref _pausingReading, 1);

            // A consumer that drained the buffer before the flag was up, or an end of the subscription, left the
            // pause in place: lift it here.
            if (_buffer.Reader.Count <= _pauseAt / 2 || !IsActive)
            {
                ReleaseReading();
            }
        }
    }

    /// <summary>One partition subscription ended on its own (broker close or connection end): the whole
    /// subscription ends with that reason and the other partitions are released.</summary>
    public void EndFromSource(PartitionSubscription source, SubscriptionEndReason reason, string detail, Exception? cause)
    {
        if (!MarkEnded(reason, detail, cause))
        {
            return;
        }

        IReadOnlyList<PartitionSubscription> others;
        lock (_gate)
        {
            others = _sources;
            _closing ??= Task.CompletedTask;
        }

        foreach (var other in others)
        {
            if (!ReferenceEquals(other, source))
            {
                _ = other.UnsubscribeAsync(CancellationToken.None);
            }
        }

        _core.Forget(this);
    }

    /// <summary>Called after a message was taken: lifts the pause once half the threshold is left.</summary>
    private void AfterTake()
    {
        if (Volatile.Read(ref _pausingReading) != 0 && _buffer.Reader.Count <= _pauseAt / 2)
        {
            ReleaseReading();
        }
    }

    private void ReleaseReading()
    {
        if (Interlocked.Exchange(ref _pausingReading, 0) != 0)
        {
            _connection.ResumeReading(this);
        }
    }

    private async Task CloseCoreAsync(SubscriptionEndReason? reason, string detail, CancellationToken cancellationToken)
    {
        MarkEnded(reason, detail, null);
        IReadOnlyList<PartitionSubscription> sources;
        lock (_gate)
        {
            sources = _sources;
        }

        await Task.WhenAll(sources.Select(s => s.UnsubscribeAsync(cancellationToken))).ConfigureAwait(false);
        _core.Forget(this);
    }

    /// <summary>Completes the buffer: quietly for the caller's close, with the reason otherwise.</summary>
    private bool MarkEnded(SubscriptionEndReason? reason, string detail, Exception? cause)
    {
        lock (_gate)
        {
            if (_isEnded)
            {
                return false;
            }

            _isEnded = true;
            EndReason = reason;
        }

        ReleaseReading();

        if (reason is null or SubscriptionEndReason.ClientClosed || AckMode == AckMode.Manual)
        {
            // Unsettled manual deliveries go back to the queue with the subscription; handing them out now would
            // only produce settlements the broker refuses. After the caller closed the subscription or the client,
            // nothing more is handed out whatever the ack mode.
            while (_buffer.Reader.TryRead(out _))
            {
            }
        }

        if (reason is { } why)
        {
            Log.SubscriptionEnded(_core.Logger, Queue, why, detail);
            _buffer.Writer.TryComplete(new SubscriptionEndedException(why,
                $"The subscription to queue {Queue} ended: {why.Advice()}" + (string.IsNullOrWhiteSpace(detail) ? "." : $" ({detail.TrimEnd('.')})."),
                cause));
        }
        else
        {
            _buffer.Writer.TryComplete();
        }

        _ended.TrySetResult();
        return true;
    }
}
