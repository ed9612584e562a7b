// Closing or going quiet after a number of bytes, and blackholes that forward nothing at all.
using Sinew.Testing;

namespace Sinew.FaultProxy.Tests;

public class ByteLimitTests
{
    [Fact(Timeout = 60_000)]
    public async Task Close_after_forwards_exactly_that_many_bytes_then_resets_the_connection()
    {
        await using var pair = await ProxiedPair.StartAsync();
        var (client, server) = await pair.ConnectAsync();
        using (client)
        using (server)
        {
            await pair.Proxy.CloseAfterAsync(6, ProxyDirection.Up, ProxyClose.Reset);
            await client.SendAsync("abcdefghij");
            var (text, end) = await server.ReadToEndAsync();
            Assert.Equal("abcdef", text);
            Assert.Equal("reset", end);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Close_after_with_fin_ends_both_streams_after_the_bytes()
    {
        await using var pair = await ProxiedPair.StartAsync();
        var (client, server) = await pair.ConnectAsync();
        using (client)
        using (server)
        {
            await pair.Proxy.CloseAfterAsync(3, ProxyDirection.Down, ProxyClose.Fin);
            await server.SendAsync("xyz-and-more");
            var (text, end) = await client.ReadToEndAsync();
            Assert.Equal("xyz", text);
            Assert.Equal("eof", end);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Close_after_with_drop_forwards_the_bytes_then_discards_the_rest_and_stays_open()
    {
        await using var pair = await ProxiedPair.StartAsync();
        var (client, server) = await pair.ConnectAsync();
        using (client)
        using (server)
        {
            await pair.Proxy.CloseAfterAsync(2, ProxyDirection.Up, ProxyClose.Drop);
            await client.SendAsync("okdropped");
            Assert.Equal("ok", await server.ReceiveExactlyAsync(2));
            await server.SendAsync("alive");
            Assert.Equal("alive", await client.ReceiveExactlyAsync(5));
            Assert.True(await server.NothingArrivesWithinAsync(TimeSpan.FromMilliseconds(300)));
            var up = Assert.Single((await pair.Proxy.ConnectionsAsync()).Open).Up;
            Assert.Equal(new ProxyFlow("discarding", 2, 9), up);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_blackholed_new_connection_is_accepted_but_never_reaches_the_server()
    {
        await using var pair = await ProxiedPair.StartAsync();
        await pair.Proxy.BlackholeAsync(ProxyScope.New);
        using var client = await pair.ConnectClientAsync();
        await client.SendAsync("anyone there?");
        var state = await pair.Proxy.WaitForConnectionsAsync(accepted: 1, open: 1);
        Assert.Null(Assert.Single(state.Open).Down);
        Assert.True(await client.NothingArrivesWithinAsync(TimeSpan.FromMilliseconds(300)));

        // The stand-in broker never saw a connection.
        using var none = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pair.Listener.AcceptAsync(none.Token));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_blackholed_open_connection_forwards_nothing_more_either_way()
    {
        await using var pair = await ProxiedPair.StartAsync();
        var (client, server) = await pair.ConnectAsync();
        using (client)
        using (server)
        {
            await pair.Proxy.BlackholeAsync();
            await client.SendAsync("lost");
            await server.SendAsync("lost too");
            Assert.True(await server.NothingArrivesWithinAsync(TimeSpan.FromMilliseconds(300)));
            Assert.True(await client.NothingArrivesWithinAsync(TimeSpan.FromMilliseconds(300)));
        }
    }
}
