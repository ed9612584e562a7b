// A consumer of one queue, as the application sees it: a thin handle over the client core's fan-in of broker
// subscriptions, handing out each received message as a Delivery.
using Sinew.Client.Core;

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
/// returns them to the queue. Closing tells the broker which unsettled deliveries were handed out, so that only
/// those count a failure towards the queue's retries (<see cref="Delivery.Failures"/>); a prefetched message the
/// application never saw spends none. An auto-ack subscription that ends for any reason but the caller closing it or
/// the client still hands out what it received (the broker counts those as settled), then ends.</para>
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
    private readonly FanInSubscription _fanIn;

    internal Subscription(FanInSubscription fanIn)
    {
        _fanIn = fanIn;
    }

    /// <summary>The queue's topic.</summary>
    public string Topic => _fanIn.Queue.Topic;

    /// <summary>The queue's group; null for none.</summary>
    public string? Group => _fanIn.Queue.Group;

    /// <summary>How deliveries are settled.</summary>
    public AckMode AckMode => _fanIn.AckMode;

    /// <summary>The prefetch of each partition subscription.</summary>
    public int Prefetch => _fanIn.Prefetch;

    /// <summary>The partitions covered.</summary>
    public IReadOnlyList<int> Partitions => _fanIn.Partitions;

    /// <summary>Whether deliveries may still arrive.</summary>
    public bool IsActive => _fanIn.IsActive;

    /// <summary>Why the subscription ended; null while active and after the caller closed it.</summary>
    public SubscriptionEndReason? EndReason => _fanIn.EndReason;

    /// <summary>Completes when the subscription has ended, however it ended: closed by the caller, by the broker, by
    /// the connection dropping or by the client closing. It never fails; <see cref="EndReason"/> says why.</summary>
    public Task Completion => _fanIn.Completion;

    /// <summary>Deliveries received and not yet handed out.</summary>
    public int Buffered => _fanIn.Buffered;

    /// <summary>The next delivery, waiting for one to arrive. Cancelling the token stops the wait and leaves the
    /// subscription open. Unlike <c>await foreach</c>, it opens no processing span for the delivery.</summary>
    /// <exception cref="SubscriptionEndedException">The subscription ended other than by the caller closing it (an
    /// auto-ack subscription first hands out the deliveries it had received).</exception>
    /// <exception cref="ClientClosedException">The caller closed the subscription.</exception>
    public async Task<Delivery> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (_fanIn.TryTake(out var received))
            {
                return new Delivery(received);
            }

            if (!await _fanIn.WaitToTakeAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new ClientClosedException($"Receiving from queue {_fanIn.Queue} is not possible: the subscription was closed.");
            }
        }
    }

    /// <summary>Iterates the deliveries. Cancelling the token stops the iteration with
    /// <see cref="OperationCanceledException"/> but leaves the subscription open, and so does leaving the loop
    /// early: disposing the enumerator only ends the current delivery's span.</summary>
    public IAsyncEnumerator<Delivery> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        new Enumerator(_fanIn, cancellationToken);

    /// <summary>Unsubscribes every partition subscription (the broker returns unsettled deliveries to the queue, a
    /// failure counted only for those handed out) and ends the iteration quietly. Settlements issued before the call
    /// reach the broker first. Deliveries already handed out can still be settled until the broker has processed the
    /// unsubscribe; later they fail with <c>stale_delivery</c>.</summary>
    public Task CloseAsync(CancellationToken cancellationToken = default) => _fanIn.CloseAsync(cancellationToken);

    /// <summary>Closes the subscription (see <see cref="CloseAsync"/>).</summary>
    public async ValueTask DisposeAsync() => await CloseAsync().ConfigureAwait(false);

    private sealed class Enumerator(FanInSubscription fanIn, CancellationToken cancellationToken) : IAsyncEnumerator<Delivery>
    {
        private Delivery? _current;

        public Delivery Current => _current ?? throw new InvalidOperationException("Call MoveNextAsync first.");

        public async ValueTask<bool> MoveNextAsync()
        {
            _current?.EndProcessing();
            _current = null;
            while (true)
            {
                if (fanIn.TryTake(out var received))
                {
                    var delivery = new Delivery(received);
                    delivery.BeginProcessing();
                    _current = delivery;
                    return true;
                }

                if (!await fanIn.WaitToTakeAsync(cancellationToken).ConfigureAwait(false))
                {
                    return false;
                }
            }
        }

        // Leaving an await foreach early lands here: it ends the current delivery's span and nothing else. The
        // subscription stays open, and iterating again continues with the next delivery; closing is explicit.
        public ValueTask DisposeAsync()
        {
            _current?.EndProcessing();
            _current = null;
            return ValueTask.CompletedTask;
        }
    }
}
