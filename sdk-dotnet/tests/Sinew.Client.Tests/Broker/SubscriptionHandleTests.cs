// A subscription's handle, the same in every client: ReceiveAsync hands out one delivery at a time and fails with
// ClientClosedException once the caller closed the subscription, Buffered counts what arrived and was not handed out,
// IsActive and Completion follow how the subscription ends, and Completion never fails.
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(ConsumingBroker.Name)]
public class SubscriptionHandleTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 60_000)]
    public async Task ReceiveAsync_hands_out_deliveries_in_order_and_fails_with_client_closed_after_close()
    {
        await using var client = await SinewClient.ConnectAsync(TestClients.Options(broker.ProtocolEndpoint));
        var topic = RealBroker.UniqueTopic("receive");
        await client.DeclareQueueAsync(topic);
        var publisher = client.CreatePublisher(topic);
        await publisher.PublishBatchAsync([OutgoingMessage.FromText("a"), OutgoingMessage.FromText("b"), OutgoingMessage.FromText("c")]);

        var subscription = await client.SubscribeAsync(topic);
        await TestClients.EventuallyAsync(() => subscription.Buffered == 3, "three deliveries arrived");
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var first = await subscription.ReceiveAsync(limit.Token);
        Assert.Equal("a", first.Text);
        Assert.Equal(2, subscription.Buffered);
        await first.AckAsync();
        Assert.Equal("b", (await subscription.ReceiveAsync(limit.Token)).Text);

        Assert.True(subscription.IsActive);
        Assert.False(subscription.Completion.IsCompleted);
        await subscription.CloseAsync();
        Assert.False(subscription.IsActive);
        Assert.True(subscription.Completion.IsCompletedSuccessfully);
        Assert.Null(subscription.EndReason);
        await Assert.ThrowsAsync<ClientClosedException>(() => subscription.ReceiveAsync(limit.Token));
    }

    [Fact(Timeout = 60_000)]
    public async Task Completion_completes_without_failing_when_the_client_closes_and_ReceiveAsync_reports_the_reason()
    {
        var client = await SinewClient.ConnectAsync(TestClients.Options(broker.ProtocolEndpoint));
        var topic = RealBroker.UniqueTopic("completion");
        await client.DeclareQueueAsync(topic);
        var subscription = await client.SubscribeAsync(topic);
        var receiving = subscription.ReceiveAsync();

        await client.CloseAsync();
        await subscription.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(subscription.Completion.IsCompletedSuccessfully);
        Assert.False(subscription.IsActive);
        Assert.Equal(SubscriptionEndReason.ClientClosed, subscription.EndReason);
        var error = await Assert.ThrowsAsync<SubscriptionEndedException>(() => receiving);
        Assert.Equal(SubscriptionEndReason.ClientClosed, error.Reason);
    }

    [Fact(Timeout = 60_000)]
    public async Task Cancelling_ReceiveAsync_leaves_the_subscription_open()
    {
        await using var client = await SinewClient.ConnectAsync(TestClients.Options(broker.ProtocolEndpoint));
        var topic = RealBroker.UniqueTopic("receive-cancel");
        await client.DeclareQueueAsync(topic);
        await using var subscription = await client.SubscribeAsync(topic);

        using var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => subscription.ReceiveAsync(soon.Token));
        Assert.True(subscription.IsActive);
        await client.CreatePublisher(topic).PublishAsync(OutgoingMessage.FromText("after"));
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal("after", (await subscription.ReceiveAsync(limit.Token)).Text);
    }
}
