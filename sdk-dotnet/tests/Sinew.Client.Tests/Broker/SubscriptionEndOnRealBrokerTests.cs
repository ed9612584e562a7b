// Subscriptions to the real broker ended by closing the client: iteration ends with client_closed, and an auto-ack
// subscription hands out nothing more of what it had received. The ends a broker announces are scripted on the fake
// (Engine/SubscriptionEndTests.cs).
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(ConsumingBroker.Name)]
public class SubscriptionEndOnRealBrokerTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 20_000)]
    public async Task Closing_the_client_ends_iteration_with_client_closed()
    {
        var topic = RealBroker.UniqueTopic("client-closed");
        var client = await broker.ConnectAsync();
        await client.DeclareQueueAsync(topic);
        var subscription = await client.SubscribeAsync(topic);
        var reading = TestClients.TakeAsync(subscription, 1);
        await client.DisposeAsync();
        var error = await Assert.ThrowsAsync<SubscriptionEndedException>(() => reading);
        Assert.Equal(SubscriptionEndReason.ClientClosed, error.Reason);
        Assert.False(error.IsRetryable);
    }

    [Fact(Timeout = 20_000)]
    public async Task An_auto_ack_subscription_ended_by_closing_the_client_drops_what_was_not_handed_out()
    {
        var topic = RealBroker.UniqueTopic("client-closed-auto");
        var client = await broker.ConnectAsync();
        await client.DeclareQueueAsync(topic);
        await client.CreatePublisher(topic).PublishBatchAsync([OutgoingMessage.FromText("a"), OutgoingMessage.FromText("b")]);
        var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { AckMode = AckMode.Auto });
        await TestClients.EventuallyAsync(() => subscription.Buffered == 2, "both deliveries arrived");

        // The caller closed the client: nothing is handed out any more, as in every Sinew client.
        await client.DisposeAsync();
        Assert.Equal(0, subscription.Buffered);
        var error = await Assert.ThrowsAsync<SubscriptionEndedException>(() => TestClients.TakeAsync(subscription, 1));
        Assert.Equal(SubscriptionEndReason.ClientClosed, error.Reason);
    }
}
