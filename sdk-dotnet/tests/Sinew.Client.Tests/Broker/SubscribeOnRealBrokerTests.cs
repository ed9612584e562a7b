// Subscribing to the real broker, from the client's side: how many unsettled deliveries a manual-ack subscription
// holds, what a delivery exposes of what was published, and leaving a loop early. The frames a subscription sends,
// and its fan-in over partitions, are checked on the fake (Engine/SubscribeTests.cs).
using System.Text;
using MessagePack;
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(ConsumingBroker.Name)]
public class SubscribeOnRealBrokerTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 20_000)]
    public async Task Manual_ack_holds_at_most_prefetch_unsettled_deliveries_per_partition()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("manual-prefetch");
        await client.DeclareQueueAsync(topic);
        var publisher = client.CreatePublisher(topic);
        for (var i = 0; i < 10; i++)
        {
            await publisher.PublishAsync(OutgoingMessage.FromText($"m{i}"));
        }

        await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { Prefetch = 3 });
        var first = await TestClients.TakeAsync(subscription, 3);
        await Task.Delay(100);

        // Three unsettled and none more on the way: the broker holds the rest back.
        Assert.Equal(["m0", "m1", "m2"], first.Select(d => d.Text));
        Assert.Equal(0, subscription.Buffered);
        await first[0].AckAsync();
        var next = await TestClients.TakeAsync(subscription, 1);
        Assert.Equal("m3", next[0].Text);
    }

    [Fact(Timeout = 20_000)]
    public async Task A_delivery_exposes_payload_metadata_and_decoding_helpers()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("delivery");
        await client.DeclareQueueAsync(topic, new QueueOptions { Group = "eu" });
        var publisher = client.CreatePublisher(topic, new PublisherOptions { Group = "default-eu" });
        var eu = client.CreatePublisher(topic, new PublisherOptions { Group = "eu" });
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        await eu.PublishAsync(OutgoingMessage.FromJson(new Order("A-1", 2)).WithHeader("tenant", "acme"));
        await eu.PublishAsync(OutgoingMessage.FromMessagePack(new[] { "x", "y" }));
        await eu.PublishAsync(OutgoingMessage.FromText("plain ✓"));
        Assert.Equal("default-eu", publisher.Group);

        await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { Group = "eu" });
        var deliveries = await TestClients.TakeAsync(subscription, 3);

        var json = deliveries[0];
        Assert.Equal(new Order("A-1", 2), json.Json<Order>());
        Assert.Equal("application/json", json.ContentType);
        Assert.Equal("acme", json.Headers["tenant"]);
        Assert.Equal((topic, "eu", 0, 0UL, 1), (json.Topic, json.Group, json.Partition, json.Offset, json.Attempt));
        Assert.InRange(json.PublishedAt, before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.NotEqual(0UL, json.DeliveryId);

        Assert.Equal(["x", "y"], deliveries[1].MessagePack<string[]>());
        Assert.Equal("application/msgpack", deliveries[1].ContentType);
        Assert.Equal("plain ✓", deliveries[2].Text);
        Assert.Equal(Encoding.UTF8.GetBytes("plain ✓"), deliveries[2].Payload.ToArray());
        // Only trace context, which a tracing test running alongside may cause to be injected.
        Assert.All(deliveries[2].Headers, h => Assert.StartsWith("trace", h.Key, StringComparison.Ordinal));
    }

    [Fact(Timeout = 20_000)]
    public async Task Breaking_out_of_the_loop_keeps_the_subscription_and_iteration_can_resume()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("resume-loop");
        await client.DeclareQueueAsync(topic);
        var publisher = client.CreatePublisher(topic);
        await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { AckMode = AckMode.Auto });
        await publisher.PublishAsync(OutgoingMessage.FromText("one"));
        Assert.Equal("one", (await TestClients.TakeAsync(subscription, 1))[0].Text);
        await publisher.PublishAsync(OutgoingMessage.FromText("two"));
        Assert.Equal("two", (await TestClients.TakeAsync(subscription, 1))[0].Text);
        Assert.True(subscription.IsActive);
    }

    private sealed record Order(string Id, int Quantity);
}
