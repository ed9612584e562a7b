// Closing against the real broker through the fault proxy, which counts the connections: a closed client refuses
// every operation without connecting again, and closing while reconnection waits out its backoff stops it at once.
// The frames a close sends are checked on the fake (Engine/CloseTests.cs).
using System.Diagnostics;
using Sinew.Client.Tests.Fixtures;
using Sinew.Testing;

namespace Sinew.Client.Tests.Broker;

[Collection(FaultyNetwork.Name)]
public class CloseThroughProxyTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 60_000)]
    public async Task Operations_after_close_fail_with_client_closed()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        var client = await FaultyNetwork.ConnectAsync(proxy);
        var topic = RealBroker.UniqueTopic("closed");
        await client.DeclareQueueAsync(topic);
        var publisher = client.CreatePublisher(topic);
        await client.DisposeAsync();

        var error = await Assert.ThrowsAsync<ClientClosedException>(() => client.DeclareQueueAsync(topic));
        Assert.False(error.IsRetryable);
        await Assert.ThrowsAsync<ClientClosedException>(() => publisher.PublishAsync(OutgoingMessage.FromText("x")));
        await Assert.ThrowsAsync<ClientClosedException>(() => client.SubscribeAsync(topic));
        Assert.Throws<ClientClosedException>(() => client.CreatePublisher(topic));
        Assert.Equal(1, await FaultyNetwork.AcceptedAsync(proxy));
    }

    [Fact(Timeout = 60_000)]
    public async Task Closing_during_reconnection_backoff_stops_it()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        var client = await FaultyNetwork.ConnectAsync(proxy, o => o.Reconnect = new ReconnectPolicy
        {
            MaxAttempts = 5,
            InitialDelay = TimeSpan.FromSeconds(5),
            MaxDelay = TimeSpan.FromSeconds(5),
        });

        // Every connection, the open one and each reconnection attempt, is cut as soon as the proxy accepts it.
        await proxy.CutAsync(ProxyClose.Reset, ProxyScope.All);
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client saw the drop");
        var reconnecting = client.DeclareQueueAsync(RealBroker.UniqueTopic("backoff"));
        await proxy.WaitForConnectionsAsync(accepted: 2, open: 0);

        var clock = Stopwatch.StartNew();
        await client.CloseAsync();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"close took {clock.Elapsed}");
        await Assert.ThrowsAsync<ClientClosedException>(() => reconnecting);
    }
}
