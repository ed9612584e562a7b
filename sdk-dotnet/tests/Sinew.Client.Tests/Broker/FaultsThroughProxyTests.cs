// What the client does when the network misbehaves in ways a broker never would on its own: a peer that accepts
// and never answers, a connection cut in the middle of a subscription, a half-closed connection, a broker whose
// answers stop arriving, writes that stop leaving. Each test puts a fault proxy between the client and the real
// broker.
using Sinew.Client.Tests.Fixtures;
using Sinew.Testing;

namespace Sinew.Client.Tests.Broker;

[Collection(FaultyNetwork.Name)]
public class FaultsThroughProxyTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 60_000)]
    public async Task A_peer_that_never_answers_fails_after_the_connect_timeout()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        await proxy.BlackholeAsync(ProxyScope.New);
        var error = await Assert.ThrowsAsync<ConnectionException>(() =>
            FaultyNetwork.ConnectAsync(proxy, o => o.ConnectTimeout = TimeSpan.FromMilliseconds(300)));
        Assert.Contains("connect timeout", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<OperationCanceledException>(error.InnerException);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_dropped_connection_ends_iteration_with_connection_lost()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        await using var client = await FaultyNetwork.ConnectAsync(proxy);
        var topic = RealBroker.UniqueTopic("dropped");
        await client.DeclareQueueAsync(topic);
        await using var subscription = await client.SubscribeAsync(topic);
        var reading = TestClients.TakeAsync(subscription, 1, TimeSpan.FromSeconds(20));
        await proxy.CutAsync();
        var error = await Assert.ThrowsAsync<SubscriptionEndedException>(() => reading);
        Assert.Equal(SubscriptionEndReason.ConnectionLost, error.Reason);
        Assert.True(error.IsRetryable);
        Assert.IsType<ConnectionLostException>(error.InnerException);
    }

    [Fact(Timeout = 60_000)]
    public async Task An_unsettled_delivery_cut_off_with_its_connection_is_redelivered_after_the_client_reconnects()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        await using var client = await FaultyNetwork.ConnectAsync(proxy);
        var topic = RealBroker.UniqueTopic("cut-subscription");
        await client.DeclareQueueAsync(topic);
        var publisher = client.CreatePublisher(topic);
        await publisher.PublishAsync(OutgoingMessage.FromText("first"));
        var subscription = await client.SubscribeAsync(topic);
        var first = await RealBroker.ReceiveAsync(subscription);
        Assert.Equal(("first", 1), (first.Text, first.Attempt));

        await proxy.CutAsync();
        var ended = await Assert.ThrowsAsync<SubscriptionEndedException>(() => RealBroker.ReceiveAsync(subscription, TimeSpan.FromSeconds(20)));
        Assert.Equal(SubscriptionEndReason.ConnectionLost, ended.Reason);

        // Subscribing again reconnects; the broker hands the unsettled message out again once the broken session's
        // reconnect grace window (5 s by default) has passed, since this client does not resume sessions yet, and
        // consuming goes on.
        await using var again = await client.SubscribeAsync(topic);
        var redelivered = await RealBroker.ReceiveAsync(again, TimeSpan.FromSeconds(20));
        Assert.Equal(("first", 2), (redelivered.Text, redelivered.Attempt));
        await redelivered.AckAsync();
        await publisher.PublishAsync(OutgoingMessage.FromText("second"));
        Assert.Equal("second", (await RealBroker.ReceiveAsync(again)).Text);
        Assert.Equal(2, await FaultyNetwork.AcceptedAsync(proxy));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_connection_half_closed_by_the_broker_side_is_noticed_and_the_next_operation_reconnects()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        await using var client = await FaultyNetwork.ConnectAsync(proxy);
        var topic = RealBroker.UniqueTopic("half-close");
        await client.DeclareQueueAsync(topic);
        var subscription = await client.SubscribeAsync(topic);

        await proxy.HalfCloseAsync(ProxyDirection.Down);
        var ended = await Assert.ThrowsAsync<SubscriptionEndedException>(() => RealBroker.ReceiveAsync(subscription, TimeSpan.FromSeconds(20)));
        Assert.Equal(SubscriptionEndReason.ConnectionLost, ended.Reason);
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client saw the end of the stream");

        Assert.False((await client.DeclareQueueAsync(topic)).Created);
        Assert.Equal(2, await FaultyNetwork.AcceptedAsync(proxy));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_broker_silent_for_three_intervals_is_declared_dead()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        // The broker takes the client's proposal; one second is the shortest it accepts.
        await using var client = await FaultyNetwork.ConnectAsync(proxy, o => o.Heartbeat = TimeSpan.FromSeconds(1));
        var topic = RealBroker.UniqueTopic("silent");
        await client.DeclareQueueAsync(topic);
        await using var subscription = await client.SubscribeAsync(topic);

        // The broker keeps talking, but nothing it says reaches the client any more.
        await proxy.StallAsync(ProxyDirection.Down);
        var error = await Assert.ThrowsAsync<SubscriptionEndedException>(() => TestClients.TakeAsync(subscription, 1, TimeSpan.FromSeconds(20)));
        Assert.Equal(SubscriptionEndReason.ConnectionLost, error.Reason);
        Assert.Contains("three heartbeat intervals", error.Message, StringComparison.Ordinal);
        Assert.False(client.IsConnected);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_confirmed_publish_whose_write_is_stalled_times_out_with_the_retryable_timeout_error()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        await using var client = await FaultyNetwork.ConnectAsync(proxy, o => o.RequestTimeout = TimeSpan.FromMilliseconds(500));
        var topic = RealBroker.UniqueTopic("stalled-write");
        await client.DeclareQueueAsync(topic);

        await proxy.StallAsync(ProxyDirection.Up);
        var error = await Assert.ThrowsAsync<OperationTimeoutException>(() => client.CreatePublisher(topic).PublishAsync(OutgoingMessage.FromText("late")));
        Assert.Equal("timeout", error.Code);
        Assert.True(error.IsRetryable);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_publish_lost_with_the_connection_is_retried_after_reconnecting_and_deduplicated()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        await using var client = await FaultyNetwork.ConnectAsync(proxy);
        var topic = RealBroker.UniqueTopic("lost-confirmation");
        await client.DeclareQueueAsync(topic);
        var publisher = client.CreateReliablePublisher(topic, new ReliablePublisherOptions { InitialRetryDelay = TimeSpan.FromMilliseconds(10) });

        // Stored, but the confirmation never reaches the client: the proxy swallows it, then the connection dies.
        var before = await FaultyNetwork.BytesReadAsync(proxy, ProxyDirection.Down);
        await proxy.CloseAfterAsync(0, ProxyDirection.Down, ProxyClose.Drop);
        var publishing = publisher.PublishAsync(OutgoingMessage.FromText("once"));
        await FaultyNetwork.WaitForBytesReadAsync(proxy, ProxyDirection.Down, before, "the broker confirmed the publish");
        await proxy.CutAsync();

        var receipt = await publishing;
        Assert.True(receipt.Duplicate);
        Assert.Equal(0UL, receipt.Offset);
        Assert.Equal(2, await FaultyNetwork.AcceptedAsync(proxy));

        // The broker stored the message once.
        await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { AckMode = AckMode.Auto });
        Assert.Equal("once", (await RealBroker.ReceiveAsync(subscription)).Text);
        Assert.Null(await RealBroker.NextAsync(subscription, TimeSpan.FromMilliseconds(300)));
    }
}
