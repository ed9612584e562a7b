// Settling deliveries scripted by the fake: each action's frame, settle-once rules, failures a broker reports for an
// item or a whole frame, coalescing and ordering. What settling does to a message, and settling across a lost
// connection, run against the real broker (Broker/ConsumingTests.cs, Broker/SettlementOnRealBrokerTests.cs,
// Broker/SettlementThroughProxyTests.cs).
using Sinew.Client.Tests.Fakes;
using Sinew.Protocol.Errors;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Engine;

public class SettlementTests
{
    [Fact(Timeout = 10_000)]
    public async Task Each_settlement_sends_its_frame_with_a_request_id_and_completes_on_settle_ok()
    {
        await using var fixture = await Fixture.StartAsync(5);
        var d = await TestClients.TakeAsync(fixture.Subscription, 5);

        await d[0].AckAsync();
        await d[1].FailAsync("poison");
        await d[2].RetryAsync("busy");
        await d[3].RetryAfterAsync(TimeSpan.FromSeconds(2), "rate limited");
        await d[4].ExtendLeaseAsync(TimeSpan.FromSeconds(5));
        await d[4].ExtendLeaseAsync();

        var broker = fixture.Broker;
        Assert.Equal([d[0].DeliveryId], Assert.Single(broker.ReceivedOf<Wire.Ack>()).DeliveryIds);
        var nacks = broker.ReceivedOf<Wire.Nack>().SelectMany(n => n.Items).ToList();
        Assert.Equal(new Wire.NackItem(d[1].DeliveryId, false, Reason: "poison"), nacks[0]);
        Assert.Equal(new Wire.NackItem(d[2].DeliveryId, true, Reason: "busy"), nacks[1]);
        Assert.Equal(new Wire.NackItem(d[3].DeliveryId, true, DelayMs: 2000, Reason: "rate limited"), nacks[2]);
        var extensions = broker.ReceivedOf<Wire.ExtendLease>().SelectMany(e => e.Items).ToList();
        Assert.Equal([new Wire.LeaseExtension(d[4].DeliveryId, 5000), new Wire.LeaseExtension(d[4].DeliveryId)], extensions);
        Assert.All(broker.Received.Where(f => f.Message is Wire.Ack or Wire.Nack or Wire.ExtendLease), f => Assert.NotEqual(0u, f.RequestId));
        Assert.False(d[4].IsSettled);
    }

    [Fact(Timeout = 10_000)]
    public async Task Settling_twice_is_an_invalid_argument_and_sends_nothing_more()
    {
        await using var fixture = await Fixture.StartAsync(1);
        var delivery = (await TestClients.TakeAsync(fixture.Subscription, 1))[0];
        await delivery.AckAsync();

        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => delivery.AckAsync());
        Assert.Equal("already_settled", error.Reason);
        Assert.Contains("exactly once", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidArgumentException>(() => delivery.FailAsync());
        await Assert.ThrowsAsync<InvalidArgumentException>(() => delivery.RetryAfterAsync(TimeSpan.FromSeconds(1)));
        await Assert.ThrowsAsync<InvalidArgumentException>(() => delivery.ExtendLeaseAsync());
        Assert.Single(fixture.Broker.ReceivedOf<Wire.Ack>());
        Assert.Empty(fixture.Broker.ReceivedOf<Wire.Nack>());
    }

    [Fact(Timeout = 10_000)]
    public async Task Misuse_is_refused_at_the_call_before_any_task_exists_and_leaves_the_delivery_as_it_was()
    {
        await using var fixture = await Fixture.StartAsync(2);
        var d = await TestClients.TakeAsync(fixture.Subscription, 2);
        var acked = d[0].AckAsync();
        Assert.True(d[0].IsSettled);
        Assert.Equal(("delivery", "already_settled"), Refusal(() => d[0].RetryAsync()));
        Assert.Equal(("delivery", "already_settled"), Refusal(() => d[0].ExtendLeaseAsync()));
        await acked;

        Assert.Equal(("reason", "too_long"), Refusal(() => d[1].FailAsync(new string('r', 1025))));
        Assert.Equal(("reason", "too_long"), Refusal(() => d[1].RetryAsync(new string('r', 1025))));
        Assert.Equal(("reason", "too_long"), Refusal(() => d[1].RetryAfterAsync(TimeSpan.FromSeconds(1), new string('r', 1025))));
        Assert.Equal(("delay", "out_of_range"), Refusal(() => d[1].RetryAfterAsync(TimeSpan.FromSeconds(-1))));
        Assert.Equal(("by", "out_of_range"), Refusal(() => d[1].ExtendLeaseAsync(TimeSpan.Zero)));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        Assert.Throws<OperationCanceledException>(() => { _ = d[1].AckAsync(cancelled.Token); });
        Assert.False(d[1].IsSettled);

        await d[1].AckAsync();
        Assert.Equal([d[0].DeliveryId, d[1].DeliveryId], fixture.Broker.ReceivedOf<Wire.Ack>().SelectMany(a => a.DeliveryIds));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_failed_settlement_item_raises_the_brokers_code()
    {
        await using var fixture = await Fixture.StartAsync(2);
        var deliveries = await TestClients.TakeAsync(fixture.Subscription, 2);
        fixture.Broker.Answer<Wire.Ack>(_ => ScriptedReplies.SettleOk(new Wire.SettleFailure(deliveries[0].DeliveryId, (ushort)ErrorCode.StaleDelivery)));

        var results = await Task.WhenAll(deliveries.Select(d => Record(d.AckAsync())));
        var error = Assert.IsType<BrokerException>(results[0]);
        Assert.Equal("stale_delivery", error.Code);
        Assert.Contains($"delivery {deliveries[0].DeliveryId}", error.Message, StringComparison.Ordinal);
        Assert.Null(results[1]);
    }

    [Fact(Timeout = 10_000)]
    public async Task An_error_answering_a_settlement_fails_every_item_of_that_frame()
    {
        await using var fixture = await Fixture.StartAsync(1);
        var delivery = (await TestClients.TakeAsync(fixture.Subscription, 1))[0];
        fixture.Broker.Answer<Wire.Nack>(_ =>
            ScriptedReplies.Error(ErrorCode.Invalid, false, "reason too long", new Dictionary<string, string> { ["field"] = "reason" }));
        var error = await Assert.ThrowsAsync<BrokerException>(() => delivery.FailAsync("x"));
        Assert.Equal("invalid", error.Code);
        Assert.Contains("Nack of a delivery", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 10_000)]
    public async Task Settlements_issued_together_are_coalesced_into_few_frames()
    {
        await using var fixture = await Fixture.StartAsync(200, prefetch: 500);
        var deliveries = await TestClients.TakeAsync(fixture.Subscription, 200);
        await Task.WhenAll(deliveries.Select(d => d.AckAsync()));

        var acks = fixture.Broker.ReceivedOf<Wire.Ack>();
        Assert.Equal(deliveries.Select(d => d.DeliveryId).Order(), acks.SelectMany(a => a.DeliveryIds).Order());
        Assert.True(acks.Count < 100, $"{acks.Count} Ack frames for 200 acks");
        Assert.All(deliveries, d => Assert.True(d.IsSettled));
    }

    [Fact(Timeout = 10_000)]
    public async Task Lease_extensions_leave_before_the_nacks_and_acks_issued_with_them()
    {
        await using var fixture = await Fixture.StartAsync(40, prefetch: 100);
        var deliveries = await TestClients.TakeAsync(fixture.Subscription, 40);

        // Each delivery is extended and then settled at once: when both share a flush, an ack or nack sent first
        // would release the delivery and the extension would be refused as stale.
        var settlements = deliveries.SelectMany((d, i) => new[]
        {
            d.ExtendLeaseAsync(TimeSpan.FromSeconds(30)),
            i % 2 == 0 ? d.AckAsync() : d.RetryAsync(),
        }).ToList();
        await Task.WhenAll(settlements);

        var first = fixture.Broker.Received.Select(f => f.Message).First(m => m is Wire.Ack or Wire.Nack or Wire.ExtendLease);
        Assert.IsType<Wire.ExtendLease>(first);
    }

    private static async Task<Exception?> Record(Task task)
    {
        try
        {
            await task;
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    /// <summary>The argument and reason of the refusal <paramref name="settle"/> throws at the call.</summary>
    private static (string?, string?) Refusal(Func<Task> settle)
    {
        var error = Assert.Throws<InvalidArgumentException>(() => { _ = settle(); });
        return (error.Argument, error.Reason);
    }

    /// <summary>A fake broker, a client, and a manual-ack subscription to which the broker has pushed messages; the
    /// broker answers every settlement as accepted unless a test scripts otherwise.</summary>
    private sealed class Fixture : IAsyncDisposable
    {
        private Fixture(FakeBroker broker, SinewClient client, Subscription subscription)
        {
            Broker = broker;
            Client = client;
            Subscription = subscription;
        }

        public FakeBroker Broker { get; }

        public SinewClient Client { get; }

        public Subscription Subscription { get; }

        /// <summary>Pushes <paramref name="messages"/> deliveries, <c>m0</c> onwards at offsets from 0 with delivery ids
        /// from 1, in one Deliver frame.</summary>
        public static async Task<Fixture> StartAsync(int messages, int prefetch = 100)
        {
            var broker = new FakeBroker();
            broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
            broker.Answer<Wire.Subscribe>(ScriptedReplies.SubscribeOk);
            broker.Answer<Wire.Unsubscribe>(_ => Wire.Ok.Instance);
            broker.Answer<Wire.Ack>(_ => ScriptedReplies.SettleOk());
            broker.Answer<Wire.Nack>(_ => ScriptedReplies.SettleOk());
            broker.Answer<Wire.ExtendLease>(_ => ScriptedReplies.SettleOk());
            var client = await TestClients.ConnectAsync(broker);
            await client.DeclareQueueAsync("work");
            var subscription = await client.SubscribeAsync("work", new SubscribeOptions { Prefetch = prefetch });
            broker.Connections[0].Send(ScriptedReplies.Deliver(ScriptedReplies.SubscriptionOf(0),
                [.. Enumerable.Range(0, messages).Select(i => ScriptedReplies.Message((ulong)i + 1, $"m{i}", offset: (ulong)i))]));
            return new Fixture(broker, client, subscription);
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Broker.DisposeAsync();
        }
    }
}
