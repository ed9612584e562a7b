// A loopback TCP relay in front of one broker endpoint. Each accepted connection gets its own connection
// to the broker; bytes are copied both ways unchanged and shown to a frame tap on the way. An orderly close
// is passed on as an orderly close (half-close preserved), a reset as a reset, so raw cases that watch
// how the broker closes see the broker's behaviour, not the relay's. When the broker is down (a restart
// scenario), an accepted connection is closed at once, as the broker's closed port would refuse it.
using System.Net;
using System.Net.Sockets;

namespace Sinew.Conformance.Observation;

internal sealed class ObservingRelay : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly string _upstream;
    private readonly FrameObserver _observer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly List<Socket> _open = [];
    private readonly List<(FrameObserver.ConnectionLedger Ledger, Socket Client, Socket Broker)> _connections = [];

    private ObservingRelay(TcpListener listener, string upstream, FrameObserver observer)
    {
        _listener = listener;
        _upstream = upstream;
        _observer = observer;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>host:port to connect to instead of the broker.</summary>
    public string Endpoint => _listener.LocalEndpoint.ToString()!;

    public static ObservingRelay Start(string upstream, FrameObserver observer)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new ObservingRelay(listener, upstream, observer);
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
                _ = RelayAsync(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task RelayAsync(Socket client)
    {
        client.NoDelay = true;
        var broker = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            var (host, port) = Split(_upstream);
            await broker.ConnectAsync(host, port, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            Reset(client);
            broker.Dispose();
            return;
        }

        var ledger = new FrameObserver.ConnectionLedger();
        Track(client, broker, ledger);
        var upward = new FrameTap((header, message) => _observer.OnClientFrame(ledger, header, message));
        var downward = new FrameTap((header, message) => _observer.OnBrokerFrame(ledger, header, message));
        var toBroker = PumpAsync(client, broker, upward);
        var toClient = PumpAsync(broker, client, downward);
        await Task.WhenAll(toBroker, toClient).ConfigureAwait(false);
        Untrack(client, broker, ledger);
        client.Dispose();
        broker.Dispose();
    }

    /// <summary>Copies one direction until its source closes; an orderly end is passed on as a half-close, a
    /// failure as a reset of both sides.</summary>
    private async Task PumpAsync(Socket from, Socket to, FrameTap tap)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                // Looked at before it is passed on: a request must be on the ledger before its answer can arrive.
                tap.Feed(buffer.AsSpan(0, read));
                for (var sent = 0; sent < read;)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            Reset(from);
            Reset(to);
        }
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    private static (string Host, int Port) Split(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        return (endpoint[..colon].Trim('[', ']'), int.Parse(endpoint[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Resets both sides of every relayed connection whose Hello gave <paramref name="clientName"/>.</summary>
    /// <returns>How many connections were cut.</returns>
    public int Cut(string clientName)
    {
        List<(FrameObserver.ConnectionLedger Ledger, Socket Client, Socket Broker)> victims;
        lock (_open)
        {
            victims = _connections.Where(c => c.Ledger.ClientName == clientName).ToList();
        }

        foreach (var (_, client, broker) in victims)
        {
            Reset(client);
            Reset(broker);
        }

        return victims.Count;
    }

    private void Track(Socket client, Socket broker, FrameObserver.ConnectionLedger ledger)
    {
        lock (_open)
        {
            _open.Add(client);
            _open.Add(broker);
            _connections.Add((ledger, client, broker));
        }
    }

    private void Untrack(Socket client, Socket broker, FrameObserver.ConnectionLedger ledger)
    {
        lock (_open)
        {
            _open.Remove(client);
            _open.Remove(broker);
            _connections.Remove((ledger, client, broker));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _acceptLoop.ConfigureAwait(false);
        lock (_open)
        {
            foreach (var socket in _open)
            {
                socket.Dispose();
            }

            _open.Clear();
            _connections.Clear();
        }

        _stop.Dispose();
    }
}
