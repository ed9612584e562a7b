// The proxy proper: accepts clients on a loopback port, connects each to the broker, keeps the list of open
// connections, and hands them the faults waiting for new connections.
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Sinew.FaultProxy;

internal sealed class ProxyServer : IAsyncDisposable
{
    private static readonly TimeSpan UpstreamConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly IPEndPoint _target;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly ConcurrentDictionary<long, ProxiedConnection> _open = new();
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private readonly object _changedGate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _acceptLoop = Task.CompletedTask;
    private long _accepted;

    private ProxyServer(IPEndPoint target, Socket listener)
    {
        _target = target;
        _listener = listener;
    }

    /// <summary>The address clients connect to.</summary>
    public IPEndPoint ListenEndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public IPEndPoint Target => _target;

    /// <summary>Faults for connections accepted from now on.</summary>
    public NewConnectionFaults NewConnections { get; } = new();

    /// <summary>How many connections were accepted since the start.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>The connections open now, oldest first.</summary>
    public IReadOnlyList<ProxiedConnection> OpenConnections => [.. _open.Values.OrderBy(c => c.Id)];

    public static ProxyServer Start(IPEndPoint listen, IPEndPoint target)
    {
        var listener = new Socket(listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(listen);
            listener.Listen(128);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        var server = new ProxyServer(target, listener);
        server._acceptLoop = Task.Run(server.AcceptLoopAsync);
        return server;
    }

    /// <summary>The open connections <paramref name="id"/> names (all of them when null).</summary>
    public IReadOnlyList<ProxiedConnection> Select(long? id)
    {
        if (id is null)
        {
            return OpenConnections;
        }

        return _open.TryGetValue(id.Value, out var connection)
            ? [connection]
            : throw new FaultRequestException($"no open connection has id {id}");
    }

    /// <summary>Waits until at least <paramref name="accepted"/> connections were accepted and at least
    /// <paramref name="open"/> are open; false if that did not happen within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForAsync(long accepted, int open, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token);
        deadline.CancelAfter(timeout);
        while (true)
        {
            Task changed;
            lock (_changedGate)
            {
                changed = _changed.Task;
            }

            if (Accepted >= accepted && _open.Count >= open)
            {
                return true;
            }

            try
            {
                await changed.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return false;
            }
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_shutdown.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_shutdown.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_shutdown.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            client.NoDelay = true;
            var id = Interlocked.Increment(ref _accepted);
            Track(ServeAsync(id, client));
        }
    }

    private async Task ServeAsync(long id, Socket client)
    {
        Socket? upstream = null;
        // A connection to be cut or blackholed at once never reaches the broker.
        if (!NewConnections.Blackhole && !NewConnections.CutsOnAccept)
        {
            upstream = await ConnectUpstreamAsync().ConfigureAwait(false);
            if (upstream is null)
            {
                // The broker is not there: the client sees the refusal as a reset.
                client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                Changed();
                return;
            }
        }

        var connection = new ProxiedConnection(id, client, upstream, _shutdown.Token);
        _open[id] = connection;
        NewConnections.ApplyTo(connection);
        Changed();
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            _open.TryRemove(id, out _);
            Changed();
        }
    }

    private async Task<Socket?> ConnectUpstreamAsync()
    {
        var upstream = new Socket(_target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
        timeout.CancelAfter(UpstreamConnectTimeout);
        try
        {
            await upstream.ConnectAsync(_target, timeout.Token).ConfigureAwait(false);
            return upstream;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            upstream.Dispose();
            return null;
        }
    }

    private void Track(Task task)
    {
        _running[task] = 0;
        _ = task.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void Changed()
    {
        lock (_changedGate)
        {
            _changed.TrySetResult();
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Stops accepting and resets every open connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _shutdown.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        foreach (var connection in _open.Values)
        {
            connection.Close(CloseMode.Reset);
        }

        await _acceptLoop.ConfigureAwait(false);
        await Task.WhenAll(_running.Keys).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        _shutdown.Dispose();
    }
}
