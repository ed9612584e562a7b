// How subscriptions end: quietly when the caller closes them, with a typed reason in every other case. The end by
// a dropped connection runs against the real broker behind the fault proxy (Broker/FaultsThroughProxyTests.cs).
using Sinew.Client.Tests.Fakes;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Engine;

public class SubscriptionEndTests
{
    public static TheoryData<Wire.CloseReason> CloseReasons() => new(Enum.GetValues<Wire.CloseReason>());

    [Theory(Timeout = 10_000)]
    [MemberData(nameof(CloseReasons))]
    public async Task A_broker_close_ends_iteration_with_its_reason_and_releases_the_other_partitions(Wire.CloseReason reason)
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders", new QueueOptions { Partitions = 2 });
        await using var subscription = await client.SubscribeAsync("orders");
        var closed = broker.Subscriptions.First(s => s.Partitions[0] == 0);

        broker.CloseSubscription(closed.Id, reason, "because the test said so");

        var error = await Assert.ThrowsAsync<SubscriptionEndedException>(() => TestClients.TakeAsync(subscription, 1));
        Assert.Equal(reason.ToString(), error.Reason.ToString());
        Assert.Equal(error.Reason.Code(), error.Code);

        // Only the transient ends are worth subscribing again for.
        Assert.Equal(reason is Wire.CloseReason.ServerShutdown or Wire.CloseReason.ReconcileClosed, error.IsRetryable);
        Assert.Contains("because the test said so", error.Message, StringComparison.Ordinal);
        Assert.False(subscription.IsActive);
        Assert.Equal(error.Reason, subscription.EndReason);
        var unsubscribe = (Wire.Unsubscribe)(await broker.WaitForAsync<Wire.Unsubscribe>()).Message;
        Assert.NotEqual(closed.Id, unsubscribe.SubscriptionId);
        await TestClients.EventuallyAsync(() => broker.Subscriptions.Count == 0, "the other partition was released");
    }

    [Fact(Timeout = 10_000)]
    public async Task Closing_the_client_ends_iteration_with_client_closed()
    {
        await using var broker = new FakeBroker();
        broker.AddQueue("orders");
        var client = await TestClients.ConnectAsync(broker);
        var subscription = await client.SubscribeAsync("orders");
        var reading = TestClients.TakeAsync(subscription, 1);
        await client.DisposeAsync();
        var error = await Assert.ThrowsAsync<SubscriptionEndedException>(() => reading);
        Assert.Equal(SubscriptionEndReason.ClientClosed, error.Reason);
        Assert.False(error.IsRetryable);
    }

    [Fact(Timeout = 10_000)]
    public async Task Closing_the_subscription_ends_iteration_quietly_and_unsubscribes_every_partition()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders", new QueueOptions { Partitions = 3 });
        var subscription = await client.SubscribeAsync("orders");
        var reading = Task.Run(async () =>
        {
            var count = 0;
            await foreach (var unused in subscription)
            {
                count++;
            }

            return count;
        });

        await subscription.CloseAsync();
        Assert.Equal(0, await reading);
        Assert.Null(subscription.EndReason);
        Assert.Equal(3, broker.ReceivedOf<Wire.Unsubscribe>().Count);
        Assert.All(broker.Received.Where(f => f.Message is Wire.Unsubscribe), f => Assert.NotEqual(0u, f.RequestId));
        Assert.Empty(broker.Subscriptions);
        await subscription.CloseAsync();
        Assert.True(client.IsConnected);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_manual_subscription_that_ends_drops_deliveries_not_yet_handed_out()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        await client.CreatePublisher("orders").PublishBatchAsync([OutgoingMessage.FromText("a"), OutgoingMessage.FromText("b")]);
        await using var subscription = await client.SubscribeAsync("orders");
        await TestClients.EventuallyAsync(() => subscription.Buffered == 2, "both deliveries arrived");

        broker.CloseSubscription(broker.Subscriptions[0].Id, Wire.CloseReason.Deleted);
        await TestClients.EventuallyAsync(() => !subscription.IsActive, "the close arrived");
        Assert.Equal(0, subscription.Buffered);
        var error = await Assert.ThrowsAsync<SubscriptionEndedException>(() => TestClients.TakeAsync(subscription, 1));
        Assert.Equal(SubscriptionEndReason.Deleted, error.Reason);
    }

    [Fact(Timeout = 10_000)]
    public async Task An_auto_ack_subscription_that_ends_hands_out_what_it_received_then_ends()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        await client.CreatePublisher("orders").PublishBatchAsync([OutgoingMessage.FromText("a"), OutgoingMessage.FromText("b")]);
        await using var subscription = await client.SubscribeAsync("orders", new SubscribeOptions { AckMode = AckMode.Auto });
        await TestClients.EventuallyAsync(() => subscription.Buffered == 2, "both deliveries arrived");

        broker.CloseSubscription(broker.Subscriptions[0].Id, Wire.CloseReason.ServerShutdown);
        await TestClients.EventuallyAsync(() => !subscription.IsActive, "the close arrived");
        var received = new List<string>();
        var error = await Assert.ThrowsAsync<SubscriptionEndedException>(async () =>
        {
            await foreach (var delivery in subscription)
            {
                received.Add(delivery.Text);
            }
        });
        Assert.Equal(["a", "b"], received);
        Assert.Equal(SubscriptionEndReason.ServerShutdown, error.Reason);
    }

    [Fact(Timeout = 10_000)]
    public async Task An_auto_ack_subscription_ended_by_closing_the_client_drops_what_was_not_handed_out()
    {
        await using var broker = new FakeBroker();
        var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        await client.CreatePublisher("orders").PublishBatchAsync([OutgoingMessage.FromText("a"), OutgoingMessage.FromText("b")]);
        var subscription = await client.SubscribeAsync("orders", new SubscribeOptions { AckMode = AckMode.Auto });
        await TestClients.EventuallyAsync(() => subscription.Buffered == 2, "both deliveries arrived");

        // The caller closed the client: nothing is handed out any more, as in every Sinew client.
        await client.DisposeAsync();
        Assert.Equal(0, subscription.Buffered);
        var error = await Assert.ThrowsAsync<SubscriptionEndedException>(() => TestClients.TakeAsync(subscription, 1));
        Assert.Equal(SubscriptionEndReason.ClientClosed, error.Reason);
    }
}
