// The client: options, lifetime and close. Connecting, queues, publishing and subscribing live in the
// partial files named after them.
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sinew.Client.Connection;
using Sinew.Client.Diagnostics;
using Sinew.Client.Internal;
using Sinew.Client.Routing;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client;

/// <summary>A client of a Sinew broker. Thread-safe; create one per application and share it.</summary>
/// <remarks>
/// <para>The client holds one connection at a time and opens it lazily: <see cref="ConnectAsync"/> connects at
/// once, the constructor (used by dependency injection) on the first operation. When the connection drops, the next
/// operation reconnects first, following <see cref="SinewClientOptions.Reconnect"/>. Operations in flight when it
/// dropped fail with <see cref="ConnectionLostException"/> and are never replayed; subscriptions on it end with
/// <see cref="SubscriptionEndReason.ConnectionLost"/>; publishers simply continue on the new connection.</para>
/// <para>Close with <see cref="CloseAsync"/> or <see cref="DisposeAsync"/>: subscriptions are unsubscribed, the broker
/// is told Goodbye (and returns unsettled deliveries to their queues), and every background loop stops.</para>
/// </remarks>
public sealed partial class SinewClient : IAsyncDisposable, IDisposable, IConnectionEvents
{
    private readonly SinewClientOptions _options;
    private readonly ConnectionSettings _settings;
    private readonly BrokerEndpoint[] _endpoints;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly object _gate = new();
    private readonly HashSet<SinewConnection> _connections = [];
    private readonly HashSet<Subscription> _subscriptions = [];
    private SinewConnection? _connection;
    private Task<SinewConnection>? _connecting;
    private Exception? _lastEndReason;
    private BrokerEndpoint? _redirectTo;
    private bool _everConnected;
    private bool _closed;
    private Task? _closing;

    /// <summary>Creates a client that connects on its first operation.</summary>
    /// <exception cref="InvalidArgumentException">The options are invalid; the message lists every problem.</exception>
    public SinewClient(SinewClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = SinewClientOptionsValidator.Problems(options);
        if (problems.Count > 0)
        {
            // The message lists every problem; the argument and reason are the first one's, as the other clients report.
            throw new InvalidArgumentException("The client options are invalid: " + string.Join(" ", problems.Select(p => p.Message)),
                problems[0].Argument, problems[0].Reason);
        }

        _options = options.Clone();
        _endpoints = [.. _options.Endpoints.Select(BrokerEndpoint.Parse)];
        _settings = new ConnectionSettings(_options.ClientName, ClientVersion.Value, _options.Credentials, _options.Heartbeat,
            _options.ConnectTimeout, _options.RequestTimeout);
        Logger = (ILogger?)_options.LoggerFactory?.CreateLogger(SinewDiagnostics.LoggerCategory) ?? NullLogger.Instance;
    }

    /// <summary>Creates a client and connects it, trying each endpoint once, in order.</summary>
    /// <exception cref="ConnectionException">No endpoint accepted the connection and handshake.</exception>
    /// <exception cref="BrokerException">The broker refused the session (<c>unauthorized</c>, <c>protocol_mismatch</c>).</exception>
    /// <exception cref="InvalidArgumentException">The options are invalid.</exception>
    public static async Task<SinewClient> ConnectAsync(SinewClientOptions options, CancellationToken cancellationToken = default)
    {
        var client = new SinewClient(options);
        try
        {
            await client.EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Whether the client currently holds an open connection.</summary>
    public bool IsConnected => Volatile.Read(ref _connection) is { IsOpen: true };

    /// <summary>The broker and session of the current connection; null while the client holds no open
    /// connection (before the first operation of a client created by its constructor, after a drop until the next
    /// operation reconnects, and after closing).</summary>
    public ServerInfo? ServerInfo => Volatile.Read(ref _connection) is { IsOpen: true } connection ? connection.Info : null;

    internal ILogger Logger { get; }

    internal TopologyCache Topology { get; } = new();

    internal SinewClientOptions Options => _options;

    /// <summary>The current connection, for tests.</summary>
    internal SinewConnection? CurrentConnection => Volatile.Read(ref _connection);

    /// <summary>Connects now if not connected (reconnecting per the policy after a drop). Useful to fail fast at
    /// start-up, or in a health check, with a client created by dependency injection.</summary>
    public async Task EnsureConnectedAsync(CancellationToken cancellationToken = default) =>
        await GetConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Closes the client: unsubscribes every subscription, says Goodbye (the broker returns unsettled
    /// deliveries to their queues), waits for the broker's answer up to <see cref="SinewClientOptions.CloseTimeout"/>,
    /// closes the socket and stops every background loop. Later operations fail with
    /// <see cref="ClientClosedException"/>. Calling it again waits for the same close.</summary>
    public Task CloseAsync(CancellationToken cancellationToken = default)
    {
        Task closing;
        lock (_gate)
        {
            _closing ??= CloseCoreAsync();
            closing = _closing;
        }

        return closing.WaitAsync(cancellationToken);
    }

    /// <summary>Closes the client (see <see cref="CloseAsync"/>).</summary>
    public async ValueTask DisposeAsync() => await CloseAsync().ConfigureAwait(false);

    /// <summary>Closes the client, blocking until done; prefer <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => CloseAsync().GetAwaiter().GetResult();

    internal void Forget(Subscription subscription)
    {
        lock (_gate)
        {
            _subscriptions.Remove(subscription);
        }
    }

    /// <summary>Whether <see cref="CloseAsync"/> or <see cref="DisposeAsync"/> has begun.</summary>
    internal bool IsClosing => Volatile.Read(ref _closed);

    internal void ThrowIfClosed(string operation)
    {
        if (Volatile.Read(ref _closed))
        {
            throw new ClientClosedException($"{operation} is not possible: the client was closed. Create a new SinewClient.");
        }
    }

    private async Task CloseCoreAsync()
    {
        Subscription[] subscriptions;
        Task<SinewConnection>? connecting;
        lock (_gate)
        {
            _closed = true;
            subscriptions = [.. _subscriptions];
            connecting = _connecting;
        }

        // Stops connection attempts and reconnection backoff at once.
        await _lifetime.CancelAsync().ConfigureAwait(false);
        if (connecting is not null)
        {
            try
            {
                await connecting.ConfigureAwait(false);
            }
            catch (Exception e) when (e is SinewException or OperationCanceledException)
            {
                // A connection attempt cut short by the close.
            }
        }

        // One budget for the whole polite part: unsubscribes first, then the Goodbye gets what is left.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (var deadline = new CancellationTokenSource(_options.CloseTimeout))
        {
            await Task.WhenAll(subscriptions.Select(s => s.CloseForClientAsync(deadline.Token))).ConfigureAwait(false);
        }

        SinewConnection[] connections;
        lock (_gate)
        {
            connections = [.. _connections];
            _connection = null;
        }

        var remaining = _options.CloseTimeout - clock.Elapsed;
        var goodbyeTimeout = remaining > TimeSpan.FromMilliseconds(100) ? remaining : TimeSpan.FromMilliseconds(100);
        await Task.WhenAll(connections.Select(c => c.CloseAsync(goodbyeTimeout))).ConfigureAwait(false);
    }

    void IConnectionEvents.OnTopologyPushed(SinewConnection connection, Wire.Topology topology)
    {
        if (Topology.Apply(topology))
        {
            Log.TopologyUpdated(Logger, topology.Generation, topology.Channels.Count);
        }
    }

    void IConnectionEvents.OnGoingAway(SinewConnection connection, Wire.GoingAway notice)
    {
        BrokerEndpoint? target = null;
        if (notice.ReconnectTo is { } address && BrokerEndpoint.TryParse(address, out var parsed, out _))
        {
            target = parsed;
        }

        lock (_gate)
        {
            _redirectTo = target;
        }

        Log.GoingAway(Logger, connection.Endpoint, notice.DeadlineAtMs, notice.Message, target);
    }

    void IConnectionEvents.OnUnsolicitedError(SinewConnection connection, BrokerException error)
    {
        if (_options.OnError is not { } handler)
        {
            return;
        }

        // User code: never on the read loop, and never able to take the client down.
        ThreadPool.UnsafeQueueUserWorkItem(state =>
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

    void IConnectionEvents.OnConnectionEnded(SinewConnection connection, Exception reason)
    {
        lock (_gate)
        {
            _connections.Remove(connection);
            if (ReferenceEquals(_connection, connection))
            {
                _connection = null;
                _lastEndReason = reason;
            }
        }
    }
}
