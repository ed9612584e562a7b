// Pushes the catalogue to every connection after it changes, coalesced: a change starts a short wait that
// gathers the rest of a burst, then one encoded frame of the newest generation goes to every connection that
// has not been sent it. While changes keep coming, the wait doubles up to a ceiling, and a quiet spell as long
// as the ceiling brings it back down; so one declare is pushed within milliseconds, and a long run of declares
// costs a few pushes a second, not one each. A connection holds at most one push not yet written to its
// socket; when that one is written and the catalogue has moved on, it asks for another round. So a slow reader
// holds one frame, not one per change.
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Sinew.Broker.Diagnostics;
using Sinew.Broker.Queues;

namespace Sinew.Broker.Network;

internal sealed class TopologyPusher : IAsyncDisposable
{
    /// <summary>How long a change after a quiet spell waits for more before it is pushed (default: 10 ms).</summary>
    public static readonly TimeSpan DefaultCoalescing = TimeSpan.FromMilliseconds(10);

    /// <summary>The longest wait between two rounds while changes keep coming, and the quiet spell that ends a
    /// burst (500 ms).</summary>
    public static readonly TimeSpan MaxCoalescing = TimeSpan.FromMilliseconds(500);

    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private readonly RoutingCatalogue _catalogue;
    private readonly TopologyFrames _frames;
    private readonly Func<IEnumerable<Session>> _sessions;
    private readonly TimeSpan _coalescing;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private long _rounds;
    private int _disposed;

    public TopologyPusher(RoutingCatalogue catalogue, TopologyFrames frames, Func<IEnumerable<Session>> sessions, TimeSpan coalescing,
        ILogger logger)
    {
        _logger = logger;
        _catalogue = catalogue;
        _frames = frames;
        _sessions = sessions;
        _coalescing = coalescing;
        catalogue.Changed += Signal;
    }

    /// <summary>Push rounds so far; each sends at most one frame to each connection.</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    /// <summary>Asks for a round soon; repeated requests before it starts are one.</summary>
    public void Signal() => _signal.Writer.TryWrite(true);

    public void Start() => _loop = Task.Run(RunAsync);

    /// <summary>Ends the loop (a round under way finishes first); nothing is pushed after it returns.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _catalogue.Changed -= Signal;
        _signal.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var reader = _signal.Reader;
        var wait = _coalescing;
        var lastRound = Stopwatch.GetTimestamp() - Stopwatch.Frequency;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                var sinceLast = Stopwatch.GetElapsedTime(lastRound);
                wait = sinceLast >= MaxCoalescing ? _coalescing : Min(wait * 2, MaxCoalescing);
                await Task.Delay(Max(_coalescing, wait - sinceLast), _stop.Token).ConfigureAwait(false);
                // Changes made during the wait are in the frame built below; a change after this read signals
                // again and gets the next round.
                reader.TryRead(out _);
                try
                {
                    var frame = _frames.Latest();
                    foreach (var session in _sessions())
                    {
                        session.OfferTopology(frame);
                    }
                }
                catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
                {
                    _logger.TopologyPushFailed(e, _catalogue.Generation);
                }

                Interlocked.Increment(ref _rounds);
                lastRound = Stopwatch.GetTimestamp();
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
