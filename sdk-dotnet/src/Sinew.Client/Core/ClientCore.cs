// The client core: what a client's public handles share underneath — its options and logger, its connection (through
// the connection manager), the routing cache, the subscriptions to end when it closes, the events every connection
// reports, and closing. Routing and requests, and subscribing, live in the partial files named after them.
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sinew.Client.Connection;
using Sinew.Client.Diagnostics;
using Sinew.Client.Internal;
using Sinew.Client.Routing;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Core;

/// <summary>The infrastructure of one client. The public handles are thin over it: they check arguments, call it,
/// and turn its internal results into public types; nothing here knows a handle.</summary>
internal sealed partial class ClientCore : IConnectionEvents
{
    private readonly object _gate = new();
    private readonly HashSet<FanInSubscription> _subscriptions = [];
    private readonly TaskCompletionSource _closingSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _closed;
    private Task? _closing;

    /// <param name="options">Validated options, already copied so that later changes cannot reach the client.</param>
    public ClientCore(SinewClientOptions options)
    {
        Options = options;
        Logger = (ILogger?)options.LoggerFactory?.CreateLogger(SinewDiagnostics.LoggerCategory) ?? NullLogger.Instance;
        var settings = new ConnectionSettings(options.ClientName, ClientVersion.Value, options.Credentials?.ToWire(), options.Heartbeat,
            options.ConnectTimeout, options.RequestTimeout);
        Connections = new ConnectionManager([.. options.Endpoints.Select(BrokerEndpoint.Parse)], settings, options.Reconnect,
            options.CloseTimeout, this, Logger);
    }

    public SinewClientOptions Options { get; }

    public ILogger Logger { get; }

    /// <summary>Partition counts per queue, shared by every publisher and subscription of the client.</summary>
    public TopologyCache Topology { get; } = new();

    public ConnectionManager Connections { get; }

    /// <summary>Whether closing has begun.</summary>
    public bool IsClosing => Volatile.Read(ref _closed);

    /// <summary>Completes when closing begins, ending the waits of catalogue watchers.</summary>
    public Task WhenClosing => _closingSignal.Task;

    /// <exception cref="ClientClosedException">The client was closed.</exception>
    public void ThrowIfClosed(string operation)
    {
        if (Volatile.Read(ref _closed))
        {
            throw new ClientClosedException($"{operation} is not possible: the client was closed. Create a new SinewClient.");
        }
    }

    /// <summary>The open connection, connecting or reconnecting first (see <see cref="ConnectionManager.GetAsync"/>).</summary>
    public ValueTask<SinewConnection> GetConnectionAsync(CancellationToken cancellationToken) => Connections.GetAsync(cancellationToken);

    /// <summary>Watches the exception of a failed settlement or publish, so that it is logged if the application
    /// never observes it (see <see cref="UnobservedFailures"/>).</summary>
    public void WatchFailure(Exception error) => UnobservedFailures.Watch(error, Logger);

    /// <summary>Hands an error that belongs to no operation to <see cref="SinewClientOptions.OnError"/>: on the thread
    /// pool, never on the caller's thread (which may be a connection's read loop); whatever the handler throws is
    /// logged and swallowed.</summary>
    public void ReportError(SinewException error)
    {
        if (Options.OnError is not { } handler)
        {
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(static state =>
        {
            try
            {
                state.handler(state.error);
            }
            catch (Exception e)
            {
                // Whatever the handler throws is the application's bug; it is logged, not rethrown.
                Log.ErrorHandlerFailed(state.logger, e);
            }
        }, (handler, error, logger: Logger), preferLocal: false);
    }

    /// <summary>Closes the client: unsubscribes every subscription, then says Goodbye on every connection, all
    /// within <see cref="SinewClientOptions.CloseTimeout"/>. Every call waits for the same close.</summary>
    public Task CloseAsync(CancellationToken cancellationToken)
    {
        Task closing;
        lock (_gate)
        {
            _closing ??= CloseCoreAsync();
            closing = _closing;
        }

        return closing.WaitAsync(cancellationToken);
    }

    /// <summary>Records an open subscription, so that closing the client ends it.</summary>
    /// <exception cref="ClientClosedException">The client was closed.</exception>
    public void Track(FanInSubscription subscription, string operation)
    {
        lock (_gate)
        {
            ThrowIfClosed(operation);
            _subscriptions.Add(subscription);
        }
    }

    /// <summary>Forgets a subscription that ended.</summary>
    public void Forget(FanInSubscription subscription)
    {
        lock (_gate)
        {
            _subscriptions.Remove(subscription);
        }
    }

    private async Task CloseCoreAsync()
    {
        FanInSubscription[] subscriptions;
        lock (_gate)
        {
            _closed = true;
            subscriptions = [.. _subscriptions];
        }

        _closingSignal.TrySetResult();

        // Stops connection attempts and reconnection backoff at once.
        await Connections.StopAsync().ConfigureAwait(false);

        // One budget for the whole polite part: unsubscribes first, then the Goodbye gets what is left.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (var deadline = new CancellationTokenSource(Options.CloseTimeout))
        {
            await Task.WhenAll(subscriptions.Select(s => s.CloseForClientAsync(deadline.Token))).ConfigureAwait(false);
        }

        var remaining = Options.CloseTimeout - clock.Elapsed;
        var goodbyeTimeout = remaining > TimeSpan.FromMilliseconds(100) ? remaining : TimeSpan.FromMilliseconds(100);
        await Connections.CloseAllAsync(goodbyeTimeout).ConfigureAwait(false);
        Connections.Dispose();
    }

    void IConnectionEvents.OnTopologyPushed(SinewConnection connection, Wire.Topology topology) => ApplyTopology(connection, topology);

    void IConnectionEvents.OnOpened(SinewConnection connection, bool reconnected)
    {
        // Once the client holds a catalogue it keeps it live: a new session's catalogue is not pushed until something
        // changes, and the broker may have changed (or been replaced) meanwhile. Routing waits for this refresh.
        if (reconnected && Catalogue.Current is not null)
        {
            _ = RefreshCatalogueAsync(connection);
        }
    }

    void IConnectionEvents.OnGoingAway(SinewConnection connection, Wire.GoingAway notice)
    {
        BrokerEndpoint? target = null;
        if (notice.ReconnectTo is { } address && BrokerEndpoint.TryParse(address, out var parsed, out _))
        {
            target = parsed;
        }

        Connections.PreferNext(target);
        Log.GoingAway(Logger, connection.Endpoint, notice.DeadlineAtMs, notice.Message, target);
    }

    void IConnectionEvents.OnUnsolicitedError(SinewConnection connection, BrokerException error)
    {
        // An unconfirmed publish routed by a stale catalogue: the client kept no copy to send again, but the next
        // publishes route by a fresh one.
        if (error.Code == SinewErrorCodes.Redirect)
        {
            OnRedirect(connection);
        }

        ReportError(error);
    }

    void IConnectionEvents.OnConnectionEnded(SinewConnection connection, Exception reason)
    {
        // Losing the client's current connection belongs to no operation, so the application hears of it through
        // OnError, as in the other clients; a close the client made itself, or the end of a connection it had
        // already replaced, is no news.
        if (!Connections.OnEnded(connection, reason) || reason is ClientClosedException)
        {
            return;
        }

        ReportError(reason as ConnectionLostException
            ?? new ConnectionLostException($"The connection to {connection.Endpoint} was lost: {reason.Message}", connection.Endpoint.ToString(), reason));
    }
}
