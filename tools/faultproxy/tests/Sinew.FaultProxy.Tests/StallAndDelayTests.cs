// Holding bytes back: a stall until resumed, a delay per chunk.
using System.Diagnostics;
using Sinew.Testing;

namespace Sinew.FaultProxy.Tests;

public class StallAndDelayTests
{
    // Long enough that a forwarded byte would have arrived on a loaded machine; only used to check absence.
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);

    [Fact(Timeout = 60_000)]
    public async Task A_stalled_direction_forwards_nothing_until_resumed_and_then_everything_in_order()
    {
        await using var pair = await ProxiedPair.StartAsync();
        var (client, server) = await pair.ConnectAsync();
        using (client)
        using (server)
        {
            await pair.Proxy.StallAsync(ProxyDirection.Up);
            await client.SendAsync("held");
            Assert.True(await server.NothingArrivesWithinAsync(Quiet));

            // The other direction is not stalled.
            await server.SendAsync("down");
            Assert.Equal("down", await client.ReceiveExactlyAsync(4));
            Assert.Equal("stalled", Assert.Single((await pair.Proxy.ConnectionsAsync()).Open).Up.State);

            await client.SendAsync(" back");
            await pair.Proxy.ResumeAsync();
            Assert.Equal("held back", await server.ReceiveExactlyAsync(9));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_stall_for_new_connections_holds_their_first_bytes()
    {
        await using var pair = await ProxiedPair.StartAsync();
        await pair.Proxy.StallAsync(ProxyDirection.Both, ProxyScope.New);
        var (client, server) = await pair.ConnectAsync();
        using (client)
        using (server)
        {
            await client.SendAsync("first");
            Assert.True(await server.NothingArrivesWithinAsync(Quiet));
            await pair.Proxy.ResumeAsync();
            Assert.Equal("first", await server.ReceiveExactlyAsync(5));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_delay_holds_each_chunk_at_least_that_long()
    {
        await using var pair = await ProxiedPair.StartAsync();
        var (client, server) = await pair.ConnectAsync();
        using (client)
        using (server)
        {
            var delay = TimeSpan.FromMilliseconds(300);
            await pair.Proxy.DelayAsync(delay, ProxyDirection.Down);
            var clock = Stopwatch.StartNew();
            await server.SendAsync("late");
            Assert.Equal("late", await client.ReceiveExactlyAsync(4));
            Assert.True(clock.Elapsed >= delay - TimeSpan.FromMilliseconds(20), $"arrived after {clock.ElapsedMilliseconds} ms");

            await pair.Proxy.ResetAsync();
            Assert.Equal("flowing", Assert.Single((await pair.Proxy.ConnectionsAsync()).Open).Down!.State);
        }
    }
}
