// Owning the client's connection: the first connect (each endpoint once, in order), reconnecting before the next
// operation after the connection dropped (bounded attempts, exponential backoff, shared by every operation waiting
// for it), and closing every connection it opened.
using Microsoft.Extensions.Logging;
using Sinew.Client.Connection;
using Sinew.Client.Diagnostics;

namespace Sinew.Client.Core;

/// <summary>Connects, reconnects and hands out the current connection. Stopped once, when the client closes.</summary>
internal sealed class ConnectionManager : IDisposable
{
    private readonly BrokerEndpoint[] _endpoints;
    private readonly ConnectionSettings _settings;
    private readonly ReconnectPolicy _reconnect;
    private readonly TimeSpan _closeTimeout;
    private readonly IConnectionEvents _events;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly object _gate = new();
    private readonly HashSet<SinewConnection> _connections = [];
    private SinewConnection? _connection;
    private Task<SinewConnection>? _connecting;
    private Exception? _lastEndReason;
    private BrokerEndpoint? _redirectTo;
    private bool _everConnected;
    private bool _stopped;

    /// <param name="endpoints">The brokers to try, in order.</param>
    /// <param name="settings">What each connection opens with.</param>
    /// <param name="reconnect">How many attempts a reconnection makes, and the waits between them.</param>
    /// <param name="closeTimeout">How long closing a connection waits for the broker's answer to Goodbye.</param>
    /// <param name="events">Where every connection reports its events.</param>
    /// <param name="logger">The client's logger.</param>
    public ConnectionManager(BrokerEndpoint[] endpoints, ConnectionSettings settings, ReconnectPolicy reconnect, TimeSpan closeTimeout,
        IConnectionEvents events, ILogger logger)
    {
        _endpoints = endpoints;
        _settings = settings;
        _reconnect = reconnect;
        _closeTimeout = closeTimeout;
        _events = events;
        _logger = logger;
    }

    /// <summary>The current connection, open or not; null before the first connect and after closing.</summary>
    public SinewConnection? Current => Volatile.Read(ref _connection);

    /// <summary>The open connection, connecting or reconnecting first when there is none. Concurrent callers share
    /// one connection attempt.</summary>
    /// <exception cref="ConnectionException">No endpoint could be reached, or every reconnection attempt failed.</exception>
    /// <exception cref="ConnectionLostException">The connection dropped and reconnecting is disabled.</exception>
    /// <exception cref="BrokerException">The broker refused the session.</exception>
    /// <exception cref="ClientClosedException">The client was closed.</exception>
    public ValueTask<SinewConnection> GetAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _connection);
        return current is { IsOpen: true } ? new ValueTask<SinewConnection>(current) : new ValueTask<SinewConnection>(ConnectSharedAsync(cancellationToken));
    }

    /// <summary>Tries <paramref name="endpoint"/> first on the next connection attempt, as a broker's drain notice
    /// asked (null: the configured endpoints in order).</summary>
    public void PreferNext(BrokerEndpoint? endpoint)
    {
        lock (_gate)
        {
            _redirectTo = endpoint;
        }
    }

    /// <summary>Forgets a connection that ended, remembering why if it was the current one; returns whether it
    /// was.</summary>
    public bool OnEnded(SinewConnection connection, Exception reason)
    {
        lock (_gate)
        {
            _connections.Remove(connection);
            if (!ReferenceEquals(_connection, connection))
            {
                return false;
            }

            _connection = null;
            _lastEndReason = reason;
            return true;
        }
    }

    /// <summary>Stops connecting for good: a connection attempt or backoff under way ends at once, and later
    /// requests for a connection fail with <see cref="ClientClosedException"/>. Completes when the attempt under way
    /// has ended; the connections stay open until <see cref="CloseAllAsync"/>.</summary>
    public async Task StopAsync()
    {
        Task<SinewConnection>? connecting;
        lock (_gate)
        {
            _stopped = true;
            connecting = _connecting;
        }

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
    }

    /// <summary>Closes every connection politely (Goodbye, then the socket), each waiting at most
    /// <paramref name="goodbyeTimeout"/> for the broker's answer.</summary>
    public Task CloseAllAsync(TimeSpan goodbyeTimeout)
    {
        SinewConnection[] connections;
        lock (_gate)
        {
            connections = [.. _connections];
            _connection = null;
        }

        return Task.WhenAll(connections.Select(c => c.CloseAsync(goodbyeTimeout)));
    }

    /// <summary>Releases the lifetime token once <see cref="StopAsync"/> has ended every attempt that used it.</summary>
    public void Dispose() => _lifetime.Dispose();

    private Task<SinewConnection> ConnectSharedAsync(CancellationToken cancellationToken)
    {
        Task<SinewConnection> attempt;
        lock (_gate)
        {
            if (_stopped)
            {
                throw new ClientClosedException("Connecting is not possible: the client was closed. Create a new SinewClient.");
            }

            if (_connection is { IsOpen: true } open)
            {
                return Task.FromResult(open);
            }

            if (_connecting is null || _connecting.IsCompleted)
            {
                if (_everConnected && _reconnect.MaxAttempts == 0)
                {
                    throw new ConnectionLostException(
                        "The connection to the broker dropped and automatic reconnection is disabled (ReconnectPolicy.Disabled); create a new SinewClient.",
                        _lastEndReason);
                }

                // The attempt runs on the client's lifetime, not the caller's token: other callers may share it.
                _connecting = ConnectWithRetryAsync(reconnecting: _everConnected);
            }

            attempt = _connecting;
        }

        return attempt.WaitAsync(cancellationToken);
    }

    private async Task<SinewConnection> ConnectWithRetryAsync(bool reconnecting)
    {
        var attempts = reconnecting ? _reconnect.MaxAttempts : 1;
        ConnectionException? last = null;
        var failures = new List<ConnectionFailure>();
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            if (attempt > 1)
            {
                var delay = _reconnect.DelayAfter(attempt - 1, Random.Shared.NextDouble());
                Log.Reconnecting(_logger, attempt - 1, attempts, (long)delay.TotalMilliseconds);
                try
                {
                    await Task.Delay(delay, _lifetime.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    throw new ClientClosedException("The client was closed while reconnecting.");
                }
            }

            try
            {
                var connection = await ConnectToAnyEndpointAsync().ConfigureAwait(false);
                bool current;
                lock (_gate)
                {
                    current = !_stopped;
                    if (current)
                    {
                        _connection = connection;
                        _connections.Add(connection);
                        _everConnected = true;
                    }
                }

                if (current)
                {
                    _events.OnOpened(connection, reconnecting);
                    return connection;
                }

                await connection.CloseAsync(_closeTimeout).ConfigureAwait(false);
                throw new ClientClosedException("The client was closed while connecting.");
            }
            catch (ConnectionException e)
            {
                // Refused, timed out or not a Sinew broker: worth another attempt. A broker that refuses the session
                // (unauthorized, protocol_mismatch) or breaks the protocol is not, so those propagate at once.
                last = e;
                failures.AddRange(e.Failures);
            }
            catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
            {
                throw new ClientClosedException("The client was closed while connecting.");
            }
        }

        if (!reconnecting)
        {
            throw last!;
        }

        Log.ReconnectFailed(_logger, attempts, last!.Message);
        throw new ConnectionException($"Could not reconnect to the broker after {attempts} attempts. Last failure: {last.Message}", failures, last);
    }

    private async Task<SinewConnection> ConnectToAnyEndpointAsync()
    {
        BrokerEndpoint? redirect;
        lock (_gate)
        {
            redirect = _redirectTo;
            _redirectTo = null;
        }

        var endpoints = redirect is { } first ? [first, .. _endpoints.Where(e => e != first)] : _endpoints;
        var failures = new List<ConnectionFailure>(endpoints.Length);
        ConnectionException? last = null;
        foreach (var endpoint in endpoints)
        {
            try
            {
                return await SinewConnection.ConnectAsync(endpoint, _settings, _events, _logger, _lifetime.Token).ConfigureAwait(false);
            }
            catch (ConnectionException e)
            {
                Log.ConnectAttemptFailed(_logger, endpoint, e.Message);
                failures.Add(new ConnectionFailure(endpoint.ToString(), e));
                last = e;
            }
        }

        // With one endpoint its own error says it all; the failures are listed either way.
        throw endpoints.Length == 1
            ? new ConnectionException(last!.Message, failures, last.InnerException)
            : new ConnectionException(
                $"Could not connect to any of the {endpoints.Length} endpoints: " + string.Join(" | ", failures.Select(f => f.Error.Message)),
                failures, last);
    }
}
