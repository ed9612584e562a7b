// Reconnection against the real broker, with the connection cut by the fault proxy: the next operation reconnects
// (bounded, with backoff), what was in flight fails with connection_lost and is not replayed.
using System.Diagnostics;
using Sinew.Client.Tests.Fixtures;
using Sinew.Testing;

namespace Sinew.Client.Tests.Broker;

[Collection(FaultyNetwork.Name)]
public class ReconnectThroughProxyTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 60_000)]
    public async Task The_next_operation_after_a_drop_reconnects_first()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        await using var client = await FaultyNetwork.ConnectAsync(proxy);
        var topic = RealBroker.UniqueTopic("reconnect");
        await client.DeclareQueueAsync(topic);
        Assert.Single(await proxy.CutAsync());
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client saw the drop");

        Assert.False((await client.DeclareQueueAsync(topic)).Created);
        Assert.True(client.IsConnected);
        Assert.Equal(2, await FaultyNetwork.AcceptedAsync(proxy));
    }

    [Fact(Timeout = 60_000)]
    public async Task The_first_reconnection_attempt_does_not_wait_for_the_backoff()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        var policy = new ReconnectPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.FromSeconds(20), MaxDelay = TimeSpan.FromSeconds(20) };
        await using var client = await FaultyNetwork.ConnectAsync(proxy, o => o.Reconnect = policy);
        await proxy.CutAsync(ProxyClose.Fin);
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client saw the drop");

        // A backoff before the first attempt would hold this operation for at least 16 s (20 s less jitter).
        var clock = Stopwatch.StartNew();
        await client.DeclareQueueAsync(RealBroker.UniqueTopic("backoff"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"reconnecting took {clock.Elapsed}");
        Assert.Equal(2, await FaultyNetwork.AcceptedAsync(proxy));
    }

    [Fact(Timeout = 60_000)]
    public async Task Operations_in_flight_when_the_connection_drops_fail_with_connection_lost_and_are_not_replayed()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        await using var client = await FaultyNetwork.ConnectAsync(proxy);
        var topic = RealBroker.UniqueTopic("in-flight");
        await client.DeclareQueueAsync(topic);
        var publisher = client.CreatePublisher(topic);

        // What the client writes from now on is read by the proxy and never reaches the broker.
        var before = await FaultyNetwork.BytesReadAsync(proxy, ProxyDirection.Up);
        await proxy.CloseAfterAsync(0, ProxyDirection.Up, ProxyClose.Drop);
        var held = publisher.PublishAsync(OutgoingMessage.FromText("held"));
        await FaultyNetwork.WaitForBytesReadAsync(proxy, ProxyDirection.Up, before, "the publish was written");

        await proxy.CutAsync();
        var error = await Assert.ThrowsAsync<ConnectionLostException>(() => held);
        Assert.Equal("connection_lost", error.Code);
        Assert.True(error.IsRetryable);
        Assert.Contains("not replayed", error.Message, StringComparison.Ordinal);

        // Publishers keep working on the new connection, and only the new message travels on it.
        await publisher.PublishAsync(OutgoingMessage.FromText("after"));
        await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { AckMode = AckMode.Auto });
        Assert.Equal("after", (await RealBroker.ReceiveAsync(subscription)).Text);
        Assert.Null(await RealBroker.NextAsync(subscription, TimeSpan.FromMilliseconds(300)));
    }

    [Fact(Timeout = 60_000)]
    public async Task Reconnection_gives_up_after_the_policys_attempts_with_growing_delays()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        // Without jitter, so the waits can be checked against their nominal lengths.
        var policy = new ReconnectPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromSeconds(1), Jitter = 0 };
        await using var client = await FaultyNetwork.ConnectAsync(proxy, o => o.Reconnect = policy);
        await proxy.CutAsync(ProxyClose.Reset, ProxyScope.All);
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client saw the drop");

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ConnectionException>(() => client.DeclareQueueAsync(RealBroker.UniqueTopic("gives-up")));
        Assert.Contains("after 3 attempts", error.Message, StringComparison.Ordinal);
        Assert.Equal(1 + 3, await FaultyNetwork.AcceptedAsync(proxy));
        // Backoff of 50 then 100 ms; timers may fire a little early, hence the margin.
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(135), $"waited only {clock.Elapsed} between attempts");

        // The failure is not sticky: once the broker is reachable again, the next operation reconnects.
        await proxy.ResetAsync();
        await client.DeclareQueueAsync(RealBroker.UniqueTopic("gives-up"));
        Assert.True(client.IsConnected);
    }

    [Fact(Timeout = 60_000)]
    public async Task Concurrent_operations_share_one_reconnection()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        await using var client = await FaultyNetwork.ConnectAsync(proxy);
        await proxy.CutAsync();
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client saw the drop");
        var topic = RealBroker.UniqueTopic("concurrent");
        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => client.DeclareQueueAsync($"{topic}.q{i}")));
        Assert.Equal(2, await FaultyNetwork.AcceptedAsync(proxy));
    }

    [Fact(Timeout = 60_000)]
    public async Task With_reconnection_disabled_operations_after_a_drop_fail_with_connection_lost()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        await using var client = await FaultyNetwork.ConnectAsync(proxy, o => o.Reconnect = ReconnectPolicy.Disabled);
        await proxy.CutAsync();
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client saw the drop");
        var error = await Assert.ThrowsAsync<ConnectionLostException>(() => client.DeclareQueueAsync(RealBroker.UniqueTopic("disabled")));
        Assert.Contains("ReconnectPolicy.Disabled", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, await FaultyNetwork.AcceptedAsync(proxy));
    }
}
