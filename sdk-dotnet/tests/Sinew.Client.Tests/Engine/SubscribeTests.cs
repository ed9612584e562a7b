// Subscribing against the scripted fake: one Subscribe per partition and the fan-in of their deliveries, options on
// the wire, auto ack, the broker-owned queue a subscription may name, and what the client does with a refusal or with
// deliveries nobody asked for. Consuming what was published runs against the real broker
// (Broker/SubscribeOnRealBrokerTests.cs, Broker/ConsumingTests.cs).
using Sinew.Client.Tests.Fakes;
using Sinew.Protocol.Errors;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Engine;

public class SubscribeTests
{
    [Fact(Timeout = 10_000)]
    public async Task A_subscription_fans_in_every_partition_and_each_delivery_settles_on_its_own()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        broker.Answer<Wire.Subscribe>(ScriptedReplies.SubscribeOk);
        broker.Answer<Wire.Unsubscribe>(_ => Wire.Ok.Instance);
        broker.Answer<Wire.Ack>(_ => ScriptedReplies.SettleOk());
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders", new QueueOptions { Partitions = 3 });
        await using var subscription = await client.SubscribeAsync("orders");

        var subscribes = broker.ReceivedOf<Wire.Subscribe>();
        Assert.Equal(new uint?[] { 0, 1, 2 }, subscribes.Select(s => s.Partition).Order());
        Assert.Equal([0, 1, 2], subscription.Partitions);

        // Nine messages, m0 to m8, each on the broker subscription of partition i % 3.
        var sentOn = new Dictionary<uint, HashSet<ulong>> { [0] = [], [1] = [], [2] = [] };
        for (var i = 0; i < 9; i++)
        {
            var partition = (uint)(i % 3);
            var deliveryId = (ulong)i + 1;
            sentOn[partition].Add(deliveryId);
            broker.Connections[0].Send(ScriptedReplies.Deliver(ScriptedReplies.SubscriptionOf(partition),
                ScriptedReplies.Message(deliveryId, $"m{i}", partition, offset: (ulong)i / 3)));
        }

        var deliveries = await TestClients.TakeAsync(subscription, 9);
        Assert.Equal([0, 1, 2], deliveries.Select(d => d.Partition).Distinct().Order());
        Assert.Equal(Enumerable.Range(0, 9).Select(i => $"m{i}").Order(), deliveries.Select(d => d.Text).Order());

        // Each delivery is the one its partition's subscription carried; acking settles exactly those.
        foreach (var delivery in deliveries)
        {
            Assert.Contains(delivery.DeliveryId, sentOn[(uint)delivery.Partition]);
        }

        await Task.WhenAll(deliveries.Select(d => d.AckAsync()));
        Assert.Equal(deliveries.Select(d => d.DeliveryId).Order(), broker.ReceivedOf<Wire.Ack>().SelectMany(a => a.DeliveryIds).Order());
        Assert.All(deliveries, d => Assert.True(d.IsSettled));
    }

    [Fact(Timeout = 10_000)]
    public async Task Partition_prefetch_and_ack_mode_are_passed_to_the_broker()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.TopologyRequest>(_ => ScriptedReplies.Topology(ScriptedReplies.Queue("orders", 4)));
        broker.Answer<Wire.Subscribe>(ScriptedReplies.SubscribeOk);
        broker.Answer<Wire.Unsubscribe>(_ => Wire.Ok.Instance);
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
        await using var broker = new FakeBroker { AnswerHello = ScriptedReplies.HelloOk(limits: new Wire.Limits(1 << 24, 1024, 64, 50)) };
        broker.Answer<Wire.TopologyRequest>(_ => ScriptedReplies.Topology(ScriptedReplies.Queue("orders", 1)));
        await using var client = await TestClients.ConnectAsync(broker);
        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => client.SubscribeAsync("orders", new SubscribeOptions { Prefetch = 51 }));
        Assert.Contains("at most 50", error.Message, StringComparison.Ordinal);
        Assert.Empty(broker.ReceivedOf<Wire.Subscribe>());
    }

    [Fact(Timeout = 10_000)]
    public async Task Auto_ack_deliveries_are_settled_already_and_cannot_be_settled_again()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        broker.Answer<Wire.Subscribe>(ScriptedReplies.SubscribeOk);
        broker.Answer<Wire.Unsubscribe>(_ => Wire.Ok.Instance);
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        await using var subscription = await client.SubscribeAsync("orders", new SubscribeOptions { AckMode = AckMode.Auto });
        broker.Connections[0].Send(ScriptedReplies.Deliver(ScriptedReplies.SubscriptionOf(0), ScriptedReplies.Message(1, "x")));
        var delivery = (await TestClients.TakeAsync(subscription, 1))[0];

        Assert.True(delivery.IsSettled);
        Assert.Equal(AckMode.Auto, delivery.AckMode);
        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => delivery.AckAsync());
        Assert.Equal("auto_ack", error.Reason);
        Assert.Contains("AckMode.Auto", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidArgumentException>(() => delivery.FailAsync());
        await Assert.ThrowsAsync<InvalidArgumentException>(() => delivery.RetryAsync());
        await Assert.ThrowsAsync<InvalidArgumentException>(() => delivery.ExtendLeaseAsync());
        Assert.Empty(broker.ReceivedOf<Wire.Ack>());
        Assert.Empty(broker.ReceivedOf<Wire.Nack>());
    }

    [Fact(Timeout = 10_000)]
    public async Task Subscribing_to_a_queue_that_does_not_exist_fails_and_leaves_nothing_subscribed()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.TopologyRequest>(_ => ScriptedReplies.Topology());
        broker.Answer<Wire.Subscribe>(s => ScriptedReplies.Error(ErrorCode.NotFound, false, $"queue {s.Topic} does not exist",
            new Dictionary<string, string> { ["topic"] = s.Topic }));
        await using var client = await TestClients.ConnectAsync(broker);
        var error = await Assert.ThrowsAsync<BrokerException>(() => client.SubscribeAsync("nowhere"));
        Assert.Equal("not_found", error.Code);
        Assert.Null(Assert.Single(broker.ReceivedOf<Wire.Subscribe>()).Partition);

        // The broker granted nothing, so there is nothing to release.
        await client.DisposeAsync();
        Assert.Empty(broker.ReceivedOf<Wire.Unsubscribe>());
    }

    [Fact(Timeout = 10_000)]
    public async Task When_one_partition_refuses_the_others_are_unsubscribed()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        broker.Answer<Wire.Subscribe>(s => s.Partition == 1
            ? ScriptedReplies.Error(ErrorCode.Unavailable, true, "partition 1 is recovering")
            : ScriptedReplies.SubscribeOk(s));
        broker.Answer<Wire.Unsubscribe>(_ => Wire.Ok.Instance);
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders", new QueueOptions { Partitions = 3 });
        var error = await Assert.ThrowsAsync<BrokerException>(() => client.SubscribeAsync("orders"));
        Assert.Equal("unavailable", error.Code);
        Assert.Contains("partition 1", error.Message, StringComparison.Ordinal);
        await TestClients.EventuallyAsync(() => broker.ReceivedOf<Wire.Unsubscribe>().Count >= 2, "the partitions that did subscribe were released");
        Assert.Equal(2, broker.ReceivedOf<Wire.Unsubscribe>().Count);
        Assert.Equal([ScriptedReplies.SubscriptionOf(0), ScriptedReplies.SubscriptionOf(2)],
            broker.ReceivedOf<Wire.Unsubscribe>().Select(u => u.SubscriptionId).Order());
    }

    [Fact(Timeout = 10_000)]
    public async Task Deliveries_for_a_subscription_nobody_holds_make_the_client_unsubscribe_it()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        broker.Connections[0].Send(new Wire.Deliver(99, [new Wire.DeliveredMessage(1, 0, 0, 1, 0, new byte[] { 1 })]));
        var unsubscribe = await broker.WaitForAsync<Wire.Unsubscribe>();
        Assert.Equal(99UL, ((Wire.Unsubscribe)unsubscribe.Message).SubscriptionId);
        Assert.Equal(0u, unsubscribe.RequestId);

        // The application was given none of them, so none of them counts a failure.
        Assert.Equal([], ((Wire.Unsubscribe)unsubscribe.Message).HandedOut);
    }

    [Fact(Timeout = 10_000)]
    public async Task The_brokers_dead_letter_queue_can_be_subscribed_to_though_declaring_or_publishing_to_it_is_refused_before_sending()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.TopologyRequest>(_ => ScriptedReplies.Topology(ScriptedReplies.Queue("$dead-letters", 1)));
        broker.Answer<Wire.Subscribe>(ScriptedReplies.SubscribeOk);
        broker.Answer<Wire.Unsubscribe>(_ => Wire.Ok.Instance);
        await using var client = await TestClients.ConnectAsync(broker);

        await using var subscription = await client.SubscribeAsync("$dead-letters");
        Assert.Equal("$dead-letters", Assert.Single(broker.ReceivedOf<Wire.Subscribe>()).Topic);
        Assert.Equal("$dead-letters", subscription.Topic);

        Assert.Equal("reserved_prefix", (await Assert.ThrowsAsync<InvalidArgumentException>(() => client.DeclareQueueAsync("$dead-letters"))).Reason);
        Assert.Equal("reserved_prefix", Assert.Throws<InvalidArgumentException>(() => client.CreatePublisher("$dead-letters")).Reason);
        Assert.Equal("whitespace", (await Assert.ThrowsAsync<InvalidArgumentException>(() => client.SubscribeAsync("$dead letters"))).Reason);
        Assert.Empty(broker.ReceivedOf<Wire.DeclareQueue>());
        Assert.Single(broker.ReceivedOf<Wire.Subscribe>());
    }
}
