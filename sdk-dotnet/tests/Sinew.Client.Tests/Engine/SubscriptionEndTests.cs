// How subscriptions end: quietly when the caller closes them, with a typed reason when the broker closes them (each
// reason scripted on the fake). The ends by closing the client run against the real broker
// (Broker/SubscriptionEndOnRealBrokerTests.cs), the end by a dropped connection behind the fault proxy
// (Broker/FaultsThroughProxyTests.cs).
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
        await using var broker = ScriptedQueue();
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders", new QueueOptions { Partitions = 2 });
        await using var subscription = await client.SubscribeAsync("orders");
        var closed = ScriptedReplies.SubscriptionOf(0);

        broker.Connections[0].Send(new Wire.SubscriptionClosed(closed, reason, "because the test said so"));

        var error = await Assert.ThrowsAsync<SubscriptionEndedException>(() => TestClients.TakeAsync(subscription, 1));
        Assert.Equal(reason.ToString(), error.Reason.ToString());
        Assert.Equal(error.Reason.Code(), error.Code);

        // Only the transient ends are worth subscribing again for.
        Assert.Equal(reason is Wire.CloseReason.ServerShutdown or Wire.CloseReason.ReconcileClosed, error.IsRetryable);
        Assert.Contains("because the test said so", error.Message, StringComparison.Ordinal);
        Assert.False(subscription.IsActive);
        Assert.Equal(error.Reason, subscription.EndReason);
        var unsubscribe = (Wire.Unsubscribe)(await broker.WaitForAsync<Wire.Unsubscribe>()).Message;
        Assert.NotEqual(closed, unsubscribe.SubscriptionId);
        Assert.Equal(ScriptedReplies.SubscriptionOf(1), unsubscribe.SubscriptionId);
    }

    [Fact(Timeout = 10_000)]
    public async Task Closing_the_subscription_ends_iteration_quietly_and_unsubscribes_every_partition()
    {
        await using var broker = ScriptedQueue();
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
        Assert.Equal([1UL, 2UL, 3UL], broker.ReceivedOf<Wire.Unsubscribe>().Select(u => u.SubscriptionId).Order());
        await subscription.CloseAsync();
        Assert.True(client.IsConnected);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_manual_subscription_that_ends_drops_deliveries_not_yet_handed_out()
    {
        await using var broker = ScriptedQueue();
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        await using var subscription = await client.SubscribeAsync("orders");
        DeliverAAndB(broker);
        await TestClients.EventuallyAsync(() => subscription.Buffered == 2, "both deliveries arrived");

        broker.Connections[0].Send(new Wire.SubscriptionClosed(ScriptedReplies.SubscriptionOf(0), Wire.CloseReason.Deleted, "queue deleted"));
        await TestClients.EventuallyAsync(() => !subscription.IsActive, "the close arrived");
        Assert.Equal(0, subscription.Buffered);
        var error = await Assert.ThrowsAsync<SubscriptionEndedException>(() => TestClients.TakeAsync(subscription, 1));
        Assert.Equal(SubscriptionEndReason.Deleted, error.Reason);
    }

    [Fact(Timeout = 10_000)]
    public async Task An_auto_ack_subscription_that_ends_hands_out_what_it_received_then_ends()
    {
        await using var broker = ScriptedQueue();
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        await using var subscription = await client.SubscribeAsync("orders", new SubscribeOptions { AckMode = AckMode.Auto });
        DeliverAAndB(broker);
        await TestClients.EventuallyAsync(() => subscription.Buffered == 2, "both deliveries arrived");

        broker.Connections[0].Send(new Wire.SubscriptionClosed(ScriptedReplies.SubscriptionOf(0), Wire.CloseReason.ServerShutdown, "shutting down"));
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

    /// <summary>A fake broker that accepts declarations, subscriptions (one per partition) and unsubscriptions.</summary>
    private static FakeBroker ScriptedQueue()
    {
        var broker = new FakeBroker();
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        broker.Answer<Wire.Subscribe>(ScriptedReplies.SubscribeOk);
        broker.Answer<Wire.Unsubscribe>(_ => Wire.Ok.Instance);
        return broker;
    }

    /// <summary>Delivers "a" and "b" on partition 0's subscription.</summary>
    private static void DeliverAAndB(FakeBroker broker) => broker.Connections[0].Send(ScriptedReplies.Deliver(ScriptedReplies.SubscriptionOf(0),
        ScriptedReplies.Message(1, "a"), ScriptedReplies.Message(2, "b", offset: 1)));
}
