// Subscribing: fan-in over partitions, options on the wire, auto ack, and what a delivery exposes.
using System.Text;
using MessagePack;
using Sinew.Client.Tests.Fakes;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Engine;

public class SubscribeTests
{
    [Fact(Timeout = 10_000)]
    public async Task A_subscription_fans_in_every_partition_and_each_delivery_settles_on_its_own()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders", new QueueOptions { Partitions = 3 });
        await using var subscription = await client.SubscribeAsync("orders");

        var subscribes = broker.ReceivedOf<Wire.Subscribe>();
        Assert.Equal(new uint?[] { 0, 1, 2 }, subscribes.Select(s => s.Partition).Order());
        Assert.Equal([0, 1, 2], subscription.Partitions);

        var publisher = client.CreatePublisher("orders");
        for (var i = 0; i < 9; i++)
        {
            await publisher.PublishAsync(OutgoingMessage.FromText($"m{i}"));
        }

        var deliveries = await TestClients.TakeAsync(subscription, 9);
        Assert.Equal([0, 1, 2], deliveries.Select(d => d.Partition).Distinct().Order());
        Assert.Equal(Enumerable.Range(0, 9).Select(i => $"m{i}").Order(), deliveries.Select(d => d.Text).Order());

        // Each partition's subscription holds its own deliveries; acking settles exactly those.
        var held = broker.Subscriptions.ToDictionary(s => s.Partitions.Single(), s => s.Unsettled.Keys.ToHashSet());
        foreach (var delivery in deliveries)
        {
            Assert.Contains(delivery.DeliveryId, held[(uint)delivery.Partition]);
        }

        await Task.WhenAll(deliveries.Select(d => d.AckAsync()));
        Assert.Equal(0, broker.InflightCount);
        Assert.All(deliveries, d => Assert.True(d.IsSettled));
    }

    [Fact(Timeout = 10_000)]
    public async Task Partition_prefetch_and_ack_mode_are_passed_to_the_broker()
    {
        await using var broker = new FakeBroker();
        broker.AddQueue("orders", partitions: 4);
        await using var client = await TestClients.ConnectAsync(broker);
        await using var subscription = await client.SubscribeAsync("orders", new SubscribeOptions { Partition = 2, Prefetch = 7, AckMode = AckMode.Auto });
        var subscribe = Assert.Single(broker.ReceivedOf<Wire.Subscribe>());
        Assert.Equal(new Wire.Subscribe("orders", null, 2, Wire.AckMode.Auto, 7), subscribe);
        Assert.Equal([2], subscription.Partitions);
        Assert.Equal(7, subscription.Prefetch);
    }

    [Fact(Timeout = 10_000)]
    public async Task Prefetch_over_the_brokers_limit_is_refused_before_sending()
    {
        await using var broker = new FakeBroker { Limits = new Wire.Limits(1 << 24, 1024, 64, 50) };
        broker.AddQueue("orders");
        await using var client = await TestClients.ConnectAsync(broker);
        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => client.SubscribeAsync("orders", new SubscribeOptions { Prefetch = 51 }));
        Assert.Contains("at most 50", error.Message, StringComparison.Ordinal);
        Assert.Empty(broker.ReceivedOf<Wire.Subscribe>());
    }

    [Fact(Timeout = 10_000)]
    public async Task Manual_ack_holds_at_most_prefetch_unsettled_deliveries_per_partition()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        var publisher = client.CreatePublisher("orders");
        for (var i = 0; i < 10; i++)
        {
            await publisher.PublishAsync(OutgoingMessage.FromText($"m{i}"));
        }

        await using var subscription = await client.SubscribeAsync("orders", new SubscribeOptions { Prefetch = 3 });
        var first = await TestClients.TakeAsync(subscription, 3);
        await Task.Delay(100);
        Assert.Equal(3, broker.InflightCount);
        Assert.Equal(0, subscription.Buffered);
        await first[0].AckAsync();
        var next = await TestClients.TakeAsync(subscription, 1);
        Assert.Equal("m3", next[0].Text);
    }

    [Fact(Timeout = 10_000)]
    public async Task Auto_ack_deliveries_are_settled_already_and_cannot_be_settled_again()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        await client.CreatePublisher("orders").PublishAsync(OutgoingMessage.FromText("x"));
        await using var subscription = await client.SubscribeAsync("orders", new SubscribeOptions { AckMode = AckMode.Auto });
        var delivery = (await TestClients.TakeAsync(subscription, 1))[0];

        Assert.True(delivery.IsSettled);
        Assert.Equal(AckMode.Auto, delivery.AckMode);
        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => delivery.AckAsync());
        Assert.Equal("auto_ack", error.Reason);
        Assert.Contains("AckMode.Auto", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidArgumentException>(() => delivery.NackAsync());
        await Assert.ThrowsAsync<InvalidArgumentException>(() => delivery.RetryAsync());
        await Assert.ThrowsAsync<InvalidArgumentException>(() => delivery.ExtendLeaseAsync());
        Assert.Empty(broker.ReceivedOf<Wire.Ack>());
        Assert.Empty(broker.ReceivedOf<Wire.Nack>());
    }

    [Fact(Timeout = 10_000)]
    public async Task A_delivery_exposes_payload_metadata_and_decoding_helpers()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders", new QueueOptions { Group = "eu" });
        var publisher = client.CreatePublisher("orders", new PublisherOptions { Group = "default-eu" });
        var eu = client.CreatePublisher("orders", new PublisherOptions { Group = "eu" });
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        await eu.PublishAsync(OutgoingMessage.FromJson(new Order("A-1", 2)).WithHeader("tenant", "acme"));
        await eu.PublishAsync(OutgoingMessage.FromMessagePack(new[] { "x", "y" }));
        await eu.PublishAsync(OutgoingMessage.FromText("plain ✓"));
        Assert.Equal("default-eu", publisher.Group);

        await using var subscription = await client.SubscribeAsync("orders", new SubscribeOptions { Group = "eu" });
        var deliveries = await TestClients.TakeAsync(subscription, 3);

        var json = deliveries[0];
        Assert.Equal(new Order("A-1", 2), json.Json<Order>());
        Assert.Equal("application/json", json.ContentType);
        Assert.Equal("acme", json.Headers["tenant"]);
        Assert.Equal(("orders", "eu", 0, 0UL, 1), (json.Topic, json.Group, json.Partition, json.Offset, json.Attempt));
        Assert.InRange(json.PublishedAt, before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.NotEqual(0UL, json.DeliveryId);

        Assert.Equal(["x", "y"], deliveries[1].MessagePack<string[]>());
        Assert.Equal("application/msgpack", deliveries[1].ContentType);
        Assert.Equal("plain ✓", deliveries[2].Text);
        Assert.Equal(Encoding.UTF8.GetBytes("plain ✓"), deliveries[2].Payload.ToArray());
        // Only trace context, which a tracing test running alongside may cause to be injected.
        Assert.All(deliveries[2].Headers, h => Assert.StartsWith("trace", h.Key, StringComparison.Ordinal));
    }

    [Fact(Timeout = 10_000)]
    public async Task Subscribing_to_a_queue_that_does_not_exist_fails_and_leaves_nothing_subscribed()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        var error = await Assert.ThrowsAsync<BrokerException>(() => client.SubscribeAsync("nowhere"));
        Assert.Equal("not_found", error.Code);
        Assert.Null(Assert.Single(broker.ReceivedOf<Wire.Subscribe>()).Partition);
        Assert.Empty(broker.Subscriptions);
    }

    [Fact(Timeout = 10_000)]
    public async Task When_one_partition_refuses_the_others_are_unsubscribed()
    {
        await using var broker = new FakeBroker();
        broker.Intercept = f =>
        {
            if (f.Message is not Wire.Subscribe { Partition: 1 })
            {
                return false;
            }

            f.Connection.Send(new Wire.Error(13, true, "partition 1 is recovering"), f.RequestId);
            return true;
        };
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders", new QueueOptions { Partitions = 3 });
        var error = await Assert.ThrowsAsync<BrokerException>(() => client.SubscribeAsync("orders"));
        Assert.Equal("unavailable", error.Code);
        Assert.Contains("partition 1", error.Message, StringComparison.Ordinal);
        await TestClients.EventuallyAsync(() => broker.Subscriptions.Count == 0, "the partitions that did subscribe were released");
        Assert.Equal(2, broker.ReceivedOf<Wire.Unsubscribe>().Count);
    }

    [Fact(Timeout = 10_000)]
    public async Task Deliveries_for_a_subscription_nobody_holds_make_the_client_unsubscribe_it()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        broker.Connections[0].Send(new Wire.Deliver(99, [new Wire.DeliveredMessage(1, 0, 0, 1, 0, new byte[] { 1 })]));
        var unsubscribe = await broker.WaitForAsync<Wire.Unsubscribe>();
        Assert.Equal(99UL, ((Wire.Unsubscribe)unsubscribe.Message).SubscriptionId);
        Assert.Equal(0u, unsubscribe.RequestId);
    }

    [Fact(Timeout = 10_000)]
    public async Task Breaking_out_of_the_loop_keeps_the_subscription_and_iteration_can_resume()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        var publisher = client.CreatePublisher("orders");
        await using var subscription = await client.SubscribeAsync("orders", new SubscribeOptions { AckMode = AckMode.Auto });
        await publisher.PublishAsync(OutgoingMessage.FromText("one"));
        Assert.Equal("one", (await TestClients.TakeAsync(subscription, 1))[0].Text);
        await publisher.PublishAsync(OutgoingMessage.FromText("two"));
        Assert.Equal("two", (await TestClients.TakeAsync(subscription, 1))[0].Text);
        Assert.True(subscription.IsActive);
    }

    private sealed record Order(string Id, int Quantity);
}
