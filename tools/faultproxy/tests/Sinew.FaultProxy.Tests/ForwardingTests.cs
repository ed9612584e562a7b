// The proxy passes bytes both ways unchanged, lists its connections, and waits for connections on request.
using Sinew.Testing;

namespace Sinew.FaultProxy.Tests;

public class ForwardingTests
{
    [Fact(Timeout = 60_000)]
    public async Task Bytes_pass_both_ways_and_the_connection_is_listed_with_its_byte_counts()
    {
        await using var pair = await ProxiedPair.StartAsync();
        var (client, server) = await pair.ConnectAsync();
        using (client)
        using (server)
        {
            await client.SendAsync("ping");
            Assert.Equal("ping", await server.ReceiveExactlyAsync(4));
            await server.SendAsync("pong!");
            Assert.Equal("pong!", await client.ReceiveExactlyAsync(5));

            var connections = await pair.Proxy.ConnectionsAsync();
            Assert.Equal(1, connections.Accepted);
            var connection = Assert.Single(connections.Open);
            Assert.Equal(client.LocalEndPoint!.ToString(), connection.Client);
            Assert.Equal(new ProxyFlow("flowing", 4, 4), connection.Up);
            Assert.Equal(new ProxyFlow("flowing", 5, 5), connection.Down);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task An_end_of_stream_from_one_side_is_passed_on_and_the_other_direction_keeps_flowing()
    {
        await using var pair = await ProxiedPair.StartAsync();
        var (client, server) = await pair.ConnectAsync();
        using (client)
        using (server)
        {
            client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            Assert.Equal("eof", await server.ReadOutcomeAsync());
            await server.SendAsync("still here");
            Assert.Equal("still here", await client.ReceiveExactlyAsync(10));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Waiting_for_connections_returns_once_a_second_connection_was_accepted()
    {
        await using var pair = await ProxiedPair.StartAsync();
        var waiting = pair.Proxy.WaitForConnectionsAsync(accepted: 2, open: 1);
        var (first, firstServer) = await pair.ConnectAsync();
        first.Dispose();
        firstServer.Dispose();
        var (second, secondServer) = await pair.ConnectAsync();
        using (second)
        using (secondServer)
        {
            var state = await waiting;
            Assert.True(state.Accepted >= 2);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Waiting_for_a_connection_that_never_comes_times_out()
    {
        await using var pair = await ProxiedPair.StartAsync();
        await Assert.ThrowsAsync<TimeoutException>(() => pair.Proxy.WaitForConnectionsAsync(accepted: 1, open: 1, timeout: TimeSpan.FromMilliseconds(200)));
    }
}
