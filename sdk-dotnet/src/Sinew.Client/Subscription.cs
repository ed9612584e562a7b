// A consumer of one queue: the broker subscriptions behind it merged into one stream of deliveries.
using System.Threading.Channels;
using Sinew.Client.Connection;
using Sinew.Client.Diagnostics;
using Sinew.Client.Routing;

namespace Sinew.Client;

/// <summary>A subscription to a queue, consumed with <c>await foreach</c>. Without a partition in its options it
/// covers every partition, one broker subscription each, merged here; each <see cref="Delivery"/> settles on the
/// partition subscription it came from.</summary>
/// <remarks>
/// <para>Iteration ends quietly once the caller closes the subscription (<see cref="CloseAsync"/> or
/// <see cref="DisposeAsync"/>). In every other case it ends with <see cref="SubscriptionEndedException"/> carrying the
/// <see cref="SubscriptionEndReason"/>: the broker ended it, the connection dropped, or the client was closed. When
/// one partition's subscription ends, the whole subscription ends and the others are unsubscribed.</para>
/// <para>When a manual-ack subscription ends, deliveries received but not yet handed out are dropped: the broker
/// returns them to the queue. An auto-ack subscription that ends for any reason but the caller closing it or the
/// client still hands out what it received (the broker counts those as settled), then ends.</para>
/// <para>Breaking out of <c>await foreach</c> does not close the subscription; iterate again to continue, and
/// dispose it when done.</para>
/// <para>With <see cref="AckMode.Auto"/> the broker does not wait for settlements, so the subscription pushes back
/// instead: while it holds <see cref="Prefetch"/> × its broker subscriptions deliveries not yet handed out, the
/// connection stops reading the socket, and it reads again once half of them are taken. A request is never held
/// back by this: while one waits for its reply the socket is read regardless, so a consumer may await a confirmed
/// publish between deliveries.</para>
/// </remarks>
public sealed class Subscription : IAsyncEnumerable<Delivery>, IAsyncDisposable
{
    private readonly SinewClient _client;
    private readonly IReadPause _connection;

    // Fixed when subscribing, so the threshold does not move while the partition subscriptions are being accepted.
    private readonly int _pauseAt;
    private readonly Channel<Delivery> _deliveries = Channel.CreateUnbounded<Delivery>(
        new UnboundedChannelOptions { SingleReader = false, SingleWriter = false, AllowSynchronousContinuations = false });

    private readonly object _gate = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IReadOnlyList<PartitionSubscription> _sources = [];
    private bool _isEnded;
    private Task? _closing;
    private int _pausingReading;

    internal Subscription(SinewClient client, IReadPause connection, QueueKey queue, SubscribeOptions options, int brokerSubscriptions)
    {
        _client = client;
        _connection = connection;
        Queue = queue;
        AckMode = options.AckMode;
        Prefetch = options.Prefetch;
        _pauseAt = (int)Math.Min((long)options.Prefetch * Math.Max(1, brokerSubscriptions), int.MaxValue);
    }

    /// <summary>The queue's topic.</summary>
    public string Topic => Queue.Topic;

    /// <summary>The queue's group; null for none.</summary>
    public string? Group => Queue.Group;

    /// <summary>How deliveries are settled.</summary>
    public AckMode AckMode { get; }

    /// <summary>The prefetch of each partition subscription.</summary>
    public int Prefetch { get; }

    /// <summary>The partitions covered.</summary>
    public IReadOnlyList<int> Partitions { get; private set; } = [];

    /// <summary>Whether deliveries may still arrive.</summary>
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

    internal QueueKey Queue { get; }

    /// <summary>The client the subscription belongs to.</summary>
    internal SinewClient Client => _client;

    /// <summary>Deliveries received and not yet handed out.</summary>
    internal int Buffered => _deliveries.Reader.Count;

    /// <summary>Iterates the deliveries. Cancelling the token stops the iteration with
    /// <see cref="OperationCanceledException"/> but leaves the subscription open.</summary>
    public IAsyncEnumerator<Delivery> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        new Enumerator(this, cancellationToken);

    /// <summary>Unsubscribes every partition subscription (the broker returns unsettled deliveries to the queue)
    /// and ends the iteration quietly. Deliveries already handed out can still be settled until the broker has
    /// processed the unsubscribe; later they fail with <c>stale_delivery</c>.</summary>
    public Task CloseAsync(CancellationToken cancellationToken = default)
    {
        Task closing;
        lock (_gate)
        {
            _closing ??= CloseCoreAsync(null, "closed by the caller", CancellationToken.None);
            closing = _closing;
        }

        return closing.WaitAsync(cancellationToken);
    }

    /// <summary>Closes the subscription (see <see cref="CloseAsync"/>).</summary>
    public async ValueTask DisposeAsync() => await CloseAsync().ConfigureAwait(false);

    internal void Activate(IReadOnlyList<PartitionSubscription> sources)
    {
        lock (_gate)
        {
            _sources = sources;
        }

        Partitions = [.. sources.SelectMany(s => s.Partitions).Select(p => (int)p).Order()];
    }

    /// <summary>Buffers a delivery; runs on the read loop.</summary>
    internal void Enqueue(Delivery delivery)
    {
        if (!_deliveries.Writer.TryWrite(delivery))
        {
            return;
        }

        // Manual ack is bounded by prefetch at the broker; auto ack only by how fast the socket is read. Only the
        // read loop pauses; the consumer lifts the pause, from another thread, whenever it takes a delivery.
        if (AckMode == AckMode.Auto && Volatile.Read(ref _pausingReading) == 0 && _deliveries.Reader.Count >= _pauseAt)
        {
            // The connection holds the pause before the flag announces it, so a consumer that sees the flag always
            // finds a pause to lift. The other way round, a consumer draining the buffer in between would clear the
            // flag and lift nothing, and the socket would stay paused with nobody left to resume it.
            _connection.PauseReading(this);
            Interlocked.Exchange(ref _pausingReading, 1);

            // A consumer that drained the buffer before the flag was up, or an end of the subscription, left the
            // pause in place: lift it here.
            if (_deliveries.Reader.Count <= _pauseAt / 2 || !IsActive)
            {
                ReleaseReading();
            }
        }
    }

    /// <summary>Called after a delivery was taken: lifts the pause once half the threshold is left.</summary>
    private void AfterTake()
    {
        if (Volatile.Read(ref _pausingReading) != 0 && _deliveries.Reader.Count <= _pauseAt / 2)
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

    /// <summary>Ends the subscription because the client is closing: iteration fails with <c>client_closed</c>.</summary>
    internal Task CloseForClientAsync(CancellationToken cancellationToken)
    {
        Task closing;
        lock (_gate)
        {
            _closing ??= CloseCoreAsync(SubscriptionEndReason.ClientClosed, "the client was closed", cancellationToken);
            closing = _closing;
        }

        return closing;
    }

    /// <summary>One partition subscription ended on its own (broker close or connection end): the whole
    /// subscription ends with that reason and the other partitions are released.</summary>
    internal void EndFromSource(PartitionSubscription source, SubscriptionEndReason reason, string detail, Exception? cause)
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

        _client.Forget(this);
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
        _client.Forget(this);
    }

    /// <summary>Completes the delivery channel: quietly for the caller's close, with the reason otherwise.</summary>
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
            while (_deliveries.Reader.TryRead(out _))
            {
            }
        }

        if (reason is { } why)
        {
            Log.SubscriptionEnded(_client.Logger, Queue, why, detail);
            _deliveries.Writer.TryComplete(new SubscriptionEndedException(why,
                $"The subscription to queue {Queue} ended: {why.Advice()}" + (string.IsNullOrWhiteSpace(detail) ? "." : $" ({detail.TrimEnd('.')})."),
                cause));
        }
        else
        {
            _deliveries.Writer.TryComplete();
        }

        _ended.TrySetResult();
        return true;
    }

    private sealed class Enumerator(Subscription owner, CancellationToken cancellationToken) : IAsyncEnumerator<Delivery>
    {
        private readonly ChannelReader<Delivery> _reader = owner._deliveries.Reader;
        private Delivery? _current;

        public Delivery Current => _current ?? throw new InvalidOperationException("Call MoveNextAsync first.");

        public async ValueTask<bool> MoveNextAsync()
        {
            _current?.EndProcessing();
            _current = null;
            while (true)
            {
                if (_reader.TryRead(out var delivery))
                {
                    owner.AfterTake();
                    delivery.BeginProcessing();
                    _current = delivery;
                    return true;
                }

                if (!await _reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return false;
                }
            }
        }

        public ValueTask DisposeAsync()
        {
            _current?.EndProcessing();
            _current = null;
            return ValueTask.CompletedTask;
        }
    }
}
