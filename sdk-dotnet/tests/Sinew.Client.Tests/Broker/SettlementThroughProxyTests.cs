// Settling after the connection to the real broker was cut by the fault proxy: the delivery belonged to the lost
// connection, so settling it is refused with connection_lost (or client_closed once the client is closed) and the
// delivery stays unsettled.
using Sinew.Client.Tests.Fixtures;
using Sinew.Testing;

namespace Sinew.Client.Tests.Broker;

[Collection(FaultyNetwork.Name)]
public class SettlementThroughProxyTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 60_000)]
    public async Task A_lost_connection_or_a_closed_client_is_refused_at_the_call_and_leaves_the_delivery_unsettled()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        var client = await FaultyNetwork.ConnectAsync(proxy);
        var delivery = await ReceiveOneAsync(client, "refused-settlement");
        await proxy.CutAsync();
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client noticed the drop");

        Assert.Throws<ConnectionLostException>(() => { _ = delivery.AckAsync(); });
        Assert.False(delivery.IsSettled);
        await client.DisposeAsync();
        Assert.Throws<ClientClosedException>(() => { _ = delivery.RetryAsync(); });
        Assert.False(delivery.IsSettled);
    }

    [Fact(Timeout = 60_000)]
    public async Task Settling_after_the_connection_dropped_fails_with_connection_lost()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        await using var client = await FaultyNetwork.ConnectAsync(proxy);
        var delivery = await ReceiveOneAsync(client, "settle-after-drop");
        await proxy.CutAsync();
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client saw the drop");
        var error = await Assert.ThrowsAsync<ConnectionLostException>(() => delivery.AckAsync());
        Assert.True(error.IsRetryable);
    }

    /// <summary>Declares a queue, publishes one message and takes it with a manual-ack subscription.</summary>
    private static async Task<Delivery> ReceiveOneAsync(SinewClient client, string what)
    {
        var topic = RealBroker.UniqueTopic(what);
        await client.DeclareQueueAsync(topic);
        await client.CreatePublisher(topic).PublishAsync(OutgoingMessage.FromText("x"));
        var subscription = await client.SubscribeAsync(topic);
        return await RealBroker.ReceiveAsync(subscription);
    }
}
