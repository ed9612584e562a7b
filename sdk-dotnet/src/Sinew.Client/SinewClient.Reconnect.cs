// Getting a usable connection: the first connect, and reconnection with bounded exponential backoff.
using Sinew.Client.Connection;
using Sinew.Client.Diagnostics;

namespace Sinew.Client;

public sealed partial class SinewClient
{
    /// <summary>The open connection, connecting or reconnecting first when there is none. Concurrent callers share
    /// one connection attempt.</summary>
    internal ValueTask<SinewConnection> GetConnectionAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _connection);
        return current is { IsOpen: true } ? new ValueTask<SinewConnection>(current) : new ValueTask<SinewConnection>(ConnectSharedAsync(cancellationToken));
    }

    private Task<SinewConnection> ConnectSharedAsync(CancellationToken cancellationToken)
    {
        Task<SinewConnection> attempt;
        lock (_gate)
        {
            ThrowIfClosed("Connecting");
            if (_connection is { IsOpen: true } open)
            {
                return Task.FromResult(open);
            }

            if (_connecting is null || _connecting.IsCompleted)
            {
                if (_everConnected && _options.Reconnect.MaxAttempts == 0)
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
        var attempts = reconnecting ? _options.Reconnect.MaxAttempts : 1;
        ConnectionException? last = null;
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            if (attempt > 1)
            {
                var delay = _options.Reconnect.DelayAfter(attempt - 1, Random.Shared.NextDouble());
                Log.Reconnecting(Logger, attempt - 1, attempts, (long)delay.TotalMilliseconds);
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
                lock (_gate)
                {
                    if (!_closed)
                    {
                        _connection = connection;
                        _connections.Add(connection);
                        _everConnected = true;
                        return connection;
                    }
                }

                await connection.CloseAsync(_options.CloseTimeout).ConfigureAwait(false);
                throw new ClientClosedException("The client was closed while connecting.");
            }
            catch (ConnectionException e)
            {
                // Refused, timed out or not a Sinew broker: worth another attempt. A broker that refuses the session
                // (unauthorized, protocol_mismatch) or breaks the protocol is not, so those propagate at once.
                last = e;
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

        Log.ReconnectFailed(Logger, attempts, last!.Message);
        throw new ConnectionException($"Could not reconnect to the broker after {attempts} attempts. Last failure: {last.Message}", last);
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
        var failures = new List<string>(endpoints.Length);
        ConnectionException? last = null;
        foreach (var endpoint in endpoints)
        {
            try
            {
                return await SinewConnection.ConnectAsync(endpoint, _settings, this, Logger, _lifetime.Token).ConfigureAwait(false);
            }
            catch (ConnectionException e)
            {
                Log.ConnectAttemptFailed(Logger, endpoint, e.Message);
                failures.Add(e.Message);
                last = e;
            }
        }

        throw endpoints.Length == 1
            ? last!
            : new ConnectionException($"Could not connect to any of the {endpoints.Length} endpoints: " + string.Join(" | ", failures), last);
    }
}
