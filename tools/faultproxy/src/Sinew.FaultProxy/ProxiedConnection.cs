// One client connection through the proxy: the client's socket, the socket to the broker, and a pump each
// way. It ends when both pumps have ended, when either fails, or when a fault cuts it.
using System.Net;
using System.Net.Sockets;

namespace Sinew.FaultProxy;

internal sealed class ProxiedConnection
{
    // After an orderly cut the peers get this long to close their side before the sockets are closed anyway.
    private static readonly TimeSpan FinGrace = TimeSpan.FromSeconds(5);

    private readonly Socket _client;
    private readonly Socket? _upstream;
    private readonly CancellationTokenSource _stop;
    private readonly object _closing = new();
    private bool _closed;
    private bool _closingOrderly;

    /// <summary>A connection forwarded to <paramref name="upstream"/>, or, when that is null, a blackholed one
    /// that reads what the client sends and forwards nothing.</summary>
    public ProxiedConnection(long id, Socket client, Socket? upstream, CancellationToken shutdown)
    {
        Id = id;
        _client = client;
        _upstream = upstream;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        ClientEndPoint = client.RemoteEndPoint as IPEndPoint;
        Up = new Pump(Directions.Up, client, upstream ?? client, Close);
        Down = upstream is null ? null : new Pump(Directions.Down, upstream, client, Close);
        if (upstream is null)
        {
            Up.Discard();
        }
    }

    public long Id { get; }

    /// <summary>The client's address as the proxy sees it (its local port identifies the client's socket).</summary>
    public IPEndPoint? ClientEndPoint { get; }

    public Pump Up { get; }

    /// <summary>The broker-to-client pump; null for a blackholed connection, which has no broker side.</summary>
    public Pump? Down { get; }

    public bool IsBlackholed => _upstream is null;

    /// <summary>The pumps of <paramref name="directions"/>.</summary>
    public IEnumerable<Pump> Pumps(Directions directions)
    {
        if (directions.HasFlag(Directions.Up))
        {
            yield return Up;
        }

        if (directions.HasFlag(Directions.Down) && Down is not null)
        {
            yield return Down;
        }
    }

    /// <summary>Forwards until the connection ends; then both sockets are closed.</summary>
    public async Task RunAsync()
    {
        var up = Up.RunAsync(_stop.Token);
        var down = Down?.RunAsync(_stop.Token) ?? Task.FromResult(true);
        var first = await Task.WhenAny(up, down).ConfigureAwait(false);
        if (!await first.ConfigureAwait(false))
        {
            // One side failed: the other has nobody to talk to.
            Close(CloseMode.Reset);
        }

        var orderly = (await Task.WhenAll(up, down).ConfigureAwait(false)).All(ended => ended);
        lock (_closing)
        {
            if (!_closed)
            {
                // Both peers closed their side and everything was passed on: an ordinary close.
                _closed = true;
                Release(abortive: !orderly);
            }

            _stop.Dispose();
        }
    }

    /// <summary>Ends the connection towards both peers: a reset at once, or an orderly close that waits (briefly)
    /// for the peers to close their side.</summary>
    public void Close(CloseMode mode)
    {
        lock (_closing)
        {
            if (_closed)
            {
                return;
            }

            if (mode == CloseMode.Fin)
            {
                CloseOrderly();
                return;
            }

            _closed = true;
            Release(abortive: true);
            _stop.Cancel();
        }
    }

    private void CloseOrderly()
    {
        if (_closingOrderly)
        {
            return;
        }

        _closingOrderly = true;

        // Each pump reads on until its peer closes, discarding, so unread bytes cannot turn the close into a reset.
        foreach (var pump in Pumps(Directions.Both))
        {
            pump.HalfClose();
        }

        if (_upstream is null)
        {
            Shutdown(_client);
        }

        _ = Task.Delay(FinGrace, _stop.Token).ContinueWith(
            _ => Close(CloseMode.Reset), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
    }

    private void Release(bool abortive)
    {
        foreach (var socket in _upstream is null ? [_client] : new[] { _client, _upstream })
        {
            if (abortive)
            {
                Abort(socket);
            }
            else
            {
                socket.Dispose();
            }
        }
    }

    private static void Abort(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Closed already; Dispose below is harmless.
        }

        socket.Dispose();
    }

    private static void Shutdown(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }
}
