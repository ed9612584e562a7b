// A fault proxy with a plain TCP server behind it standing in for the broker, and one client through the proxy:
// the test holds both ends, so it sees exactly what the proxy passes on, holds back or cuts.
using System.Net;
using System.Net.Sockets;
using Sinew.Testing;

namespace Sinew.FaultProxy.Tests;

internal sealed class ProxiedPair : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private ProxiedPair(Sinew.Testing.FaultProxy proxy, Socket listener)
    {
        Proxy = proxy;
        Listener = listener;
    }

    public Sinew.Testing.FaultProxy Proxy { get; }

    /// <summary>The stand-in broker's listening socket.</summary>
    public Socket Listener { get; }

    public static async Task<ProxiedPair> StartAsync()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        var proxy = await Sinew.Testing.FaultProxy.StartAsync(listener.LocalEndPoint!.ToString()!);
        return new ProxiedPair(proxy, listener);
    }

    /// <summary>Connects a client through the proxy and accepts its connection on the server side.</summary>
    public async Task<(Socket Client, Socket Server)> ConnectAsync()
    {
        var client = await ConnectClientAsync();
        using var timeout = new CancellationTokenSource(Patience);
        var server = await Listener.AcceptAsync(timeout.Token);
        return (client, server);
    }

    /// <summary>Connects a client through the proxy only.</summary>
    public async Task<Socket> ConnectClientAsync()
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = new CancellationTokenSource(Patience);
        await client.ConnectAsync(IPEndPoint.Parse(Proxy.Endpoint), timeout.Token);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        Listener.Dispose();
    }
}
