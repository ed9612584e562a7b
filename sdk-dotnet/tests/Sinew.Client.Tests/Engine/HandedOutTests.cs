// The deliveries an Unsubscribe or Goodbye names as handed to the application, checked on the frames the client sends
// to the scripted fake, since a real broker shows only their effect on failure counts (that runs against it in
// Broker/FailureCountingOnRealBrokerTests.cs): what was taken and not settled is named, what is still buffered or
// settled is not, an empty list is sent rather than none, the list is cut at the broker's limit, and a new session
// starts with nothing.
using Sinew.Client.Tests.Fakes;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Engine;

public class HandedOutTests
{
    [Fact(Timeout = 10_000)]
    public async Task Unsubscribe_names_the_deliveries_taken_and_not_settled_but_not_those_settled_or_still_buffered()
    {
        await using var broker = ScriptedBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        var subscription = await client.SubscribeAsync("work", new SubscribeOptions { Prefetch = 10 });
        Push(broker, 0, 1, 7);
        var d = await TestClients.TakeAsync(subscription, 5);
        await TestClients.EventuallyAsync(() => subscription.Buffered == 2, "the last two deliveries wait in the buffer");

        await d[0].AckAsync();
        await d[1].FailAsync("poison");
        await d[2].RetryAsync();
        await d[3].RetryAfterAsync(TimeSpan.FromSeconds(1));
        await subscription.CloseAsync();

        var unsubscribe = Assert.Single(broker.ReceivedOf<Wire.Unsubscribe>());
        Assert.Equal(ScriptedReplies.SubscriptionOf(0), unsubscribe.SubscriptionId);
        Assert.Equal([d[4].DeliveryId], unsubscribe.HandedOut);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_subscription_that_handed_nothing_out_sends_an_empty_list_rather_than_none()
    {
        await using var broker = ScriptedBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        var subscription = await client.SubscribeAsync("work", new SubscribeOptions { Prefetch = 10 });
        Push(broker, 0, 1, 3);
        await TestClients.EventuallyAsync(() => subscription.Buffered == 3, "the deliveries wait in the buffer");
        await subscription.CloseAsync();

        // An empty list tells the broker the application holds none of the returned deliveries; no list at all would
        // make every one of them count a failure.
        var unsubscribe = Assert.Single(broker.ReceivedOf<Wire.Unsubscribe>());
        Assert.NotNull(unsubscribe.HandedOut);
        Assert.Empty(unsubscribe.HandedOut);
    }

    [Fact(Timeout = 10_000)]
    public async Task An_auto_ack_subscription_names_none_of_the_deliveries_it_handed_out()
    {
        await using var broker = ScriptedBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        var subscription = await client.SubscribeAsync("work", new SubscribeOptions { AckMode = AckMode.Auto });
        Push(broker, 0, 1, 3);
        Assert.Equal(3, (await TestClients.TakeAsync(subscription, 3)).Count);
        await subscription.CloseAsync();

        Assert.Equal([], Assert.Single(broker.ReceivedOf<Wire.Unsubscribe>()).HandedOut);
    }

    [Fact(Timeout = 10_000)]
    public async Task Settlements_issued_just_before_closing_reach_the_broker_before_the_unsubscribe()
    {
        await using var broker = ScriptedBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        var subscription = await client.SubscribeAsync("work", new SubscribeOptions { Prefetch = 10 });
        Push(broker, 0, 1, 3);
        var d = await TestClients.TakeAsync(subscription, 3);

        // Not awaited: the settlements are only issued when the close begins.
        var settled = new[] { d[0].AckAsync(), d[1].RetryAsync(), d[2].FailAsync() };
        await subscription.CloseAsync();
        await Task.WhenAll(settled);

        var frames = broker.Received.Select(f => f.Message).Where(m => m is Wire.Ack or Wire.Nack or Wire.Unsubscribe).ToList();
        Assert.IsType<Wire.Unsubscribe>(frames[^1]);
        Assert.Equal([d[0].DeliveryId], frames.OfType<Wire.Ack>().SelectMany(a => a.DeliveryIds));
        Assert.Equal([d[1].DeliveryId, d[2].DeliveryId], frames.OfType<Wire.Nack>().SelectMany(n => n.Items).Select(i => i.DeliveryId).Order());
        Assert.Equal([], ((Wire.Unsubscribe)frames[^1]).HandedOut);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_delivery_the_broker_calls_stale_is_no_longer_named()
    {
        await using var broker = ScriptedBroker();
        broker.Answer<Wire.Ack>(a => ScriptedReplies.SettleOk(new Wire.SettleFailure(a.DeliveryIds[0], (ushort)ErrorCode.StaleDelivery)));
        broker.Answer<Wire.ExtendLease>(e => ScriptedReplies.SettleOk(new Wire.SettleFailure(e.Items[0].DeliveryId, (ushort)ErrorCode.StaleDelivery)));
        await using var client = await TestClients.ConnectAsync(broker);
        var subscription = await client.SubscribeAsync("work", new SubscribeOptions { Prefetch = 10 });
        Push(broker, 0, 1, 3);
        var d = await TestClients.TakeAsync(subscription, 3);

        Assert.Equal("stale_delivery", (await Assert.ThrowsAsync<BrokerException>(() => d[0].AckAsync())).Code);
        Assert.Equal("stale_delivery", (await Assert.ThrowsAsync<BrokerException>(() => d[1].ExtendLeaseAsync())).Code);
        Assert.False(d[1].IsSettled);
        await subscription.CloseAsync();

        Assert.Equal([d[2].DeliveryId], Assert.Single(broker.ReceivedOf<Wire.Unsubscribe>()).HandedOut);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_settlement_refused_at_the_call_leaves_the_delivery_named()
    {
        await using var broker = ScriptedBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        var subscription = await client.SubscribeAsync("work", new SubscribeOptions { Prefetch = 10 });
        Push(broker, 0, 1, 2);
        var d = await TestClients.TakeAsync(subscription, 2);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        Assert.Throws<OperationCanceledException>(() => { _ = d[0].AckAsync(cancelled.Token); });
        Assert.Throws<InvalidArgumentException>(() => { _ = d[1].FailAsync(new string('r', 1025)); });
        await subscription.CloseAsync();

        Assert.Equal([d[0].DeliveryId, d[1].DeliveryId], Assert.Single(broker.ReceivedOf<Wire.Unsubscribe>()).HandedOut!.Order());
    }

    [Fact(Timeout = 10_000)]
    public async Task Each_partitions_unsubscribe_names_only_the_deliveries_of_that_partition()
    {
        await using var broker = ScriptedBroker(partitions: 2);
        await using var client = await TestClients.ConnectAsync(broker);
        var subscription = await client.SubscribeAsync("work", new SubscribeOptions { Prefetch = 10 });
        Push(broker, 0, 1, 2);
        Push(broker, 1, 3, 3);
        var taken = await TestClients.TakeAsync(subscription, 5);
        await subscription.CloseAsync();

        var unsubscribes = broker.ReceivedOf<Wire.Unsubscribe>().ToDictionary(u => u.SubscriptionId, u => u.HandedOut);
        Assert.Equal([1UL, 2UL], unsubscribes[ScriptedReplies.SubscriptionOf(0)]!.Order());
        Assert.Equal([3UL, 4UL, 5UL], unsubscribes[ScriptedReplies.SubscriptionOf(1)]!.Order());
        Assert.Equal(5, taken.Count);
    }

    [Fact(Timeout = 10_000)]
    public async Task Closing_the_client_names_the_held_deliveries_in_the_unsubscribe_and_an_empty_list_in_the_goodbye_behind_it()
    {
        await using var broker = ScriptedBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        var subscription = await client.SubscribeAsync("work", new SubscribeOptions { Prefetch = 10 });
        Push(broker, 0, 1, 2);
        var d = await TestClients.TakeAsync(subscription, 2);
        await client.CloseAsync();

        Assert.Equal([d[0].DeliveryId, d[1].DeliveryId], Assert.Single(broker.ReceivedOf<Wire.Unsubscribe>()).HandedOut!.Order());

        // The broker handles the Unsubscribe before the Goodbye, so the Goodbye need not name those again.
        Assert.Equal([], Assert.Single(broker.ReceivedOf<Wire.Goodbye>()).HandedOut);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_goodbye_names_what_the_application_holds_of_every_subscription_still_open_on_the_connection()
    {
        await using var broker = ScriptedBroker();
        broker.Answer<Wire.TopologyRequest>(_ => ScriptedReplies.Topology(ScriptedReplies.Queue("work", 1), ScriptedReplies.Queue("other", 1)));
        broker.Answer<Wire.Subscribe>(s => new Wire.SubscribeOk(s.Topic == "work" ? 1UL : 2UL, [0]));
        await using var client = await TestClients.ConnectAsync(broker);
        var work = await client.SubscribeAsync("work", new SubscribeOptions { Prefetch = 10 });
        var other = await client.SubscribeAsync("other", new SubscribeOptions { Prefetch = 10 });
        broker.Connections[0].Send(ScriptedReplies.Deliver(1, ScriptedReplies.Message(1, "w1"), ScriptedReplies.Message(2, "w2")));
        broker.Connections[0].Send(ScriptedReplies.Deliver(2, ScriptedReplies.Message(3, "o1"), ScriptedReplies.Message(4, "o2")));
        var w = await TestClients.TakeAsync(work, 2);
        var o = await TestClients.TakeAsync(other, 1);
        await TestClients.EventuallyAsync(() => other.Buffered == 1, "the second delivery of the other queue waits in the buffer");
        await w[0].AckAsync();

        // The connection's own clean close, as when it ends without the client unsubscribing first.
        await client.CurrentConnection!.CloseAsync(TimeSpan.FromSeconds(2));

        var goodbye = Assert.Single(broker.ReceivedOf<Wire.Goodbye>());
        Assert.Equal([w[1].DeliveryId, o[0].DeliveryId], goodbye.HandedOut!.Order());
        Assert.Empty(broker.ReceivedOf<Wire.Unsubscribe>());
    }

    [Fact(Timeout = 10_000)]
    public async Task When_the_broker_ends_one_partitions_subscription_only_the_other_partitions_deliveries_are_named()
    {
        await using var broker = ScriptedBroker(partitions: 2);
        await using var client = await TestClients.ConnectAsync(broker);
        var subscription = await client.SubscribeAsync("work", new SubscribeOptions { Prefetch = 10 });
        Push(broker, 0, 1, 2);
        Push(broker, 1, 3, 2);
        await TestClients.TakeAsync(subscription, 4);

        // The broker takes back partition 0's deliveries itself; the client releases partition 1 with what it holds.
        broker.Connections[0].Send(new Wire.SubscriptionClosed(ScriptedReplies.SubscriptionOf(0), Wire.CloseReason.Quarantined, "partition 0 is quarantined"));
        var unsubscribe = (Wire.Unsubscribe)(await broker.WaitForAsync<Wire.Unsubscribe>()).Message;
        Assert.Equal(ScriptedReplies.SubscriptionOf(1), unsubscribe.SubscriptionId);
        Assert.Equal([3UL, 4UL], unsubscribe.HandedOut!.Order());
        await subscription.Completion.WaitAsync(TimeSpan.FromSeconds(5));

        await client.CurrentConnection!.CloseAsync(TimeSpan.FromSeconds(2));
        Assert.Equal([], Assert.Single(broker.ReceivedOf<Wire.Goodbye>()).HandedOut);
        Assert.Single(broker.ReceivedOf<Wire.Unsubscribe>());
    }

    [Fact(Timeout = 10_000)]
    public async Task The_lists_are_cut_at_the_brokers_list_limit()
    {
        await using var broker = ScriptedBroker(limits: new Wire.Limits(FrameLimits.DefaultMaxFrameBytes, 1024, 64, 65_535, MaxListItems: 2));
        broker.Answer<Wire.TopologyRequest>(_ => ScriptedReplies.Topology(ScriptedReplies.Queue("work", 1), ScriptedReplies.Queue("other", 1)));
        broker.Answer<Wire.Subscribe>(s => new Wire.SubscribeOk(s.Topic == "work" ? 1UL : 2UL, [0]));
        await using var client = await TestClients.ConnectAsync(broker);
        var work = await client.SubscribeAsync("work", new SubscribeOptions { Prefetch = 10 });
        var other = await client.SubscribeAsync("other", new SubscribeOptions { Prefetch = 10 });
        PushTo(broker, subscriptionId: 1, firstId: 1, count: 3);
        PushTo(broker, subscriptionId: 2, firstId: 4, count: 3);
        await TestClients.TakeAsync(work, 3);
        await TestClients.TakeAsync(other, 3);

        await work.CloseAsync();
        await client.CurrentConnection!.CloseAsync(TimeSpan.FromSeconds(2));

        var unsubscribe = Assert.Single(broker.ReceivedOf<Wire.Unsubscribe>());
        Assert.Equal(2, unsubscribe.HandedOut!.Count);
        Assert.Subset(new HashSet<ulong> { 1, 2, 3 }, unsubscribe.HandedOut.ToHashSet());
        var goodbye = Assert.Single(broker.ReceivedOf<Wire.Goodbye>());
        Assert.Equal(2, goodbye.HandedOut!.Count);
        Assert.Subset(new HashSet<ulong> { 4, 5, 6 }, goodbye.HandedOut.ToHashSet());
    }

    [Fact(Timeout = 10_000)]
    public async Task After_a_reconnect_the_old_sessions_deliveries_are_named_nowhere()
    {
        await using var broker = ScriptedBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        var first = await client.SubscribeAsync("work", new SubscribeOptions { Prefetch = 10 });
        Push(broker, 0, 1, 2);
        var old = await TestClients.TakeAsync(first, 2);
        broker.DropAllConnections();
        await first.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Throws<ConnectionLostException>(() => { _ = old[0].AckAsync(); });

        // The new session numbers its deliveries from 1 again: the old ids must not be named for it.
        var second = await client.SubscribeAsync("work", new SubscribeOptions { Prefetch = 10 });
        var newer = broker.Connections[1];
        Push(broker, 0, 1, 1, newer);
        await TestClients.EventuallyAsync(() => second.Buffered == 1, "the new session's delivery waits in the buffer");
        await client.CloseAsync();

        var onNewer = broker.Received.Where(f => f.Connection == newer).Select(f => f.Message).ToList();
        Assert.Equal([], Assert.Single(onNewer.OfType<Wire.Unsubscribe>()).HandedOut);
        Assert.Equal([], Assert.Single(onNewer.OfType<Wire.Goodbye>()).HandedOut);
    }

    /// <summary>A fake broker that knows queue <c>work</c> and accepts subscribes, unsubscribes and settlements.</summary>
    private static FakeBroker ScriptedBroker(uint partitions = 1, Wire.Limits? limits = null)
    {
        var broker = new FakeBroker();
        if (limits is not null)
        {
            broker.AnswerHello = ScriptedReplies.HelloOk(limits: limits);
        }

        broker.Answer<Wire.TopologyRequest>(_ => ScriptedReplies.Topology(ScriptedReplies.Queue("work", partitions)));
        broker.Answer<Wire.Subscribe>(ScriptedReplies.SubscribeOk);
        broker.Answer<Wire.Unsubscribe>(_ => Wire.Ok.Instance);
        broker.Answer<Wire.Ack>(_ => ScriptedReplies.SettleOk());
        broker.Answer<Wire.Nack>(_ => ScriptedReplies.SettleOk());
        broker.Answer<Wire.ExtendLease>(_ => ScriptedReplies.SettleOk());
        return broker;
    }

    /// <summary>Pushes <paramref name="count"/> deliveries with ids from <paramref name="firstId"/> in one frame to
    /// the broker subscription of <paramref name="partition"/> (as <see cref="ScriptedReplies.SubscribeOk"/> numbers them).</summary>
    private static void Push(FakeBroker broker, uint partition, ulong firstId, int count, FakeConnection? on = null) =>
        PushTo(broker, ScriptedReplies.SubscriptionOf(partition), firstId, count, on);

    /// <summary>Pushes <paramref name="count"/> deliveries with ids from <paramref name="firstId"/> in one frame to
    /// subscription <paramref name="subscriptionId"/>.</summary>
    private static void PushTo(FakeBroker broker, ulong subscriptionId, ulong firstId, int count, FakeConnection? on = null) =>
        (on ?? broker.Connections[0]).Send(ScriptedReplies.Deliver(subscriptionId,
            [.. Enumerable.Range(0, count).Select(i => ScriptedReplies.Message(firstId + (ulong)i, $"m{firstId + (ulong)i}", offset: firstId + (ulong)i))]));
}
