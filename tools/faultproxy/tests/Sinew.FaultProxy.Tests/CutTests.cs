// Cutting connections: a reset or an orderly close towards both peers, a half-close one way, for open connections
// or for the ones accepted later.
using Sinew.Testing;

namespace Sinew.FaultProxy.Tests;

public class CutTests
{
    [Fact(Timeout = 60_000)]
    public async Task A_reset_cut_resets_both_peers()
    {
        await using var pair = await ProxiedPair.StartAsync();
        var (client, server) = await pair.ConnectAsync();
        using (client)
        using (server)
        {
            var cut = await pair.Proxy.CutAsync(ProxyClose.Reset);
            Assert.Single(cut);
            Assert.Equal("reset", await client.ReadOutcomeAsync());
            Assert.Equal("reset", await server.ReadOutcomeAsync());
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task An_orderly_cut_ends_both_streams_cleanly()
    {
        await using var pair = await ProxiedPair.StartAsync();
        var (client, server) = await pair.ConnectAsync();
        using (client)
        using (server)
        {
            await pair.Proxy.CutAsync(ProxyClose.Fin);
            Assert.Equal("eof", await client.ReadOutcomeAsync());
            Assert.Equal("eof", await server.ReadOutcomeAsync());
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_half_close_down_ends_what_the_client_reads_while_what_it_writes_still_arrives()
    {
        await using var pair = await ProxiedPair.StartAsync();
        var (client, server) = await pair.ConnectAsync();
        using (client)
        using (server)
        {
            await pair.Proxy.HalfCloseAsync(ProxyDirection.Down);
            Assert.Equal("eof", await client.ReadOutcomeAsync());
            await client.SendAsync("after");
            Assert.Equal("after", await server.ReceiveExactlyAsync(5));
            var connection = Assert.Single((await pair.Proxy.ConnectionsAsync()).Open);
            Assert.Equal("half-closed", connection.Down!.State);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_cut_for_new_connections_cuts_each_one_as_it_comes_until_reset()
    {
        await using var pair = await ProxiedPair.StartAsync();
        var (before, beforeServer) = await pair.ConnectAsync();
        using (before)
        using (beforeServer)
        {
            Assert.Empty(await pair.Proxy.CutAsync(ProxyClose.Reset, ProxyScope.New));

            Assert.Equal("reset", await ConnectAndReadAsync(pair));

            // The connection that was open already is untouched.
            await before.SendAsync("x");
            Assert.Equal("x", await beforeServer.ReceiveExactlyAsync(1));

            await pair.Proxy.ResetAsync();
            var (after, afterServer) = await pair.ConnectAsync();
            using (after)
            using (afterServer)
            {
                await after.SendAsync("y");
                Assert.Equal("y", await afterServer.ReceiveExactlyAsync(1));
            }
        }
    }

    // The reset can reach the client before its connect has completed, or after.
    private static async Task<string> ConnectAndReadAsync(ProxiedPair pair)
    {
        try
        {
            using var client = await pair.ConnectClientAsync();
            return await client.ReadOutcomeAsync();
        }
        catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionReset)
        {
            return "reset";
        }
    }
}
