// Duration ranges (specification 7.4 and 7.5): values past a field's range are refused with `invalid` naming the
// field and change nothing; the largest values allowed behave as asked; a heartbeat proposal outside 1 s..5 min gets
// the broker's own interval.
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Sinew.Broker.Tests.Support;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;
using Sinew.Protocol.Timing;

namespace Sinew.Broker.Tests;

public class DurationTests
{
    private const ulong TwoPow63 = 1UL << 63;

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static void AssertOutOfRange(Error error, string field)
    {
        Assert.Equal(field, error.Details!["field"]);
        Assert.Equal("out_of_range", error.Details["reason"]);
    }

    private static Task<Error> PublishFailsAsync(RawClient client, string topic, PublishMessage message) =>
        client.FailAsync(new Publish(topic, null, message), ErrorCode.Invalid, FrameFlags.Confirm);

    [Fact(Timeout = 60_000)]
    public async Task Every_duration_vector_is_accepted_or_refused_by_the_broker_as_it_says()
    {
        // The vectors of durations.json for the fields a broker serves, each sent in a real request. Times
        // (not_before_ms) are relative to a clock and have their own test; streams are not served yet.
        var vectors = DurationVectors.Load();
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("durations");
        var failures = new List<string>();
        var queues = 0;
        var deliveries = await HeldDeliveriesAsync(client, "settled", vectors.Cases.Count);
        var next = 0;
        foreach (var c in vectors.Cases)
        {
            var value = c.Value;
            Frame reply;
            switch (c.Field)
            {
                case DurationField.PublishTtl:
                    reply = await client.RequestAsync(new Publish("durations", null, new PublishMessage(Bytes("t"), TtlMs: value)), FrameFlags.Confirm);
                    break;
                case DurationField.PublishDelay:
                    reply = await client.RequestAsync(new Publish("durations", null, new PublishMessage(Bytes("d"), DelayMs: value)), FrameFlags.Confirm);
                    break;
                case DurationField.QueueDefaultTtl:
                    reply = await client.RequestAsync(new DeclareQueue($"ttl-{++queues}", DefaultTtlMs: value));
                    break;
                case DurationField.QueueLease:
                    reply = await client.RequestAsync(new DeclareQueue($"lease-{++queues}", LeaseMs: value));
                    break;
                case DurationField.NackDelay:
                    reply = await client.RequestAsync(new Nack([new NackItem(deliveries[next++], true, DelayMs: value)]));
                    break;
                case DurationField.LeaseExtension:
                    reply = await client.RequestAsync(new ExtendLease([new LeaseExtension(deliveries[next++], value)]));
                    break;
                default:
                    continue;
            }

            var accepted = reply.Message is PublishOk or DeclareQueueOk || reply.Message is SettleOk { Failures.Count: 0 };
            var refused = reply.Message is Error { Code: (ushort)ErrorCode.Invalid } error
                          && error.Details?.GetValueOrDefault("field") == c.Field.ErrorField()
                          && error.Details?.GetValueOrDefault("reason") == DurationRules.OutOfRange;
            if (c.Valid ? !accepted : !refused)
            {
                var answer = reply.Message is Error e ? $"{ErrorCodes.NameOf(e.Code)}: {e.Message}" : reply.Message.GetType().Name;
                failures.Add($"{c.Id}: {(c.Valid ? "refused" : "not refused as out_of_range")}: {answer}");
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_publish_with_a_ttl_or_delay_past_its_maximum_is_refused_and_stores_nothing()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("orders");
        foreach (var ttl in new[] { DurationLimits.MaxTtlMs + 1, TwoPow63, ulong.MaxValue })
        {
            AssertOutOfRange(await PublishFailsAsync(client, "orders", new PublishMessage(Bytes("x"), TtlMs: ttl)), "ttl_ms");
        }

        foreach (var delay in new[] { DurationLimits.MaxDelayMs + 1, TwoPow63, ulong.MaxValue })
        {
            AssertOutOfRange(await PublishFailsAsync(client, "orders", new PublishMessage(Bytes("x"), DelayMs: delay)), "delay_ms");
        }

        var batch = new PublishBatch("orders", null, [new PublishMessage(Bytes("fine")), new PublishMessage(Bytes("huge"), TtlMs: ulong.MaxValue)]);
        AssertOutOfRange(await client.FailAsync(batch, ErrorCode.Invalid, FrameFlags.Confirm), "ttl_ms");
        Assert.Equal(0UL, (await client.PublishAsync("orders", Bytes("after"))).Offset);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_not_before_time_more_than_the_maximum_delay_ahead_is_refused()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("reminders");
        // An hour past the horizon, so the broker's clock reading a little later cannot bring it back in range.
        var pastHorizon = (ulong)NowMs + DurationLimits.MaxDelayMs + 3_600_000;
        foreach (var notBefore in new[] { pastHorizon, TwoPow63, ulong.MaxValue })
        {
            AssertOutOfRange(await PublishFailsAsync(client, "reminders", new PublishMessage(Bytes("x"), NotBeforeMs: notBefore)), "not_before_ms");
        }

        Assert.Equal(0UL, (await client.PublishAsync("reminders", Bytes("after"))).Offset);
    }

    [Fact(Timeout = 30_000)]
    public async Task Messages_held_back_by_the_maximum_delay_or_not_before_time_are_not_delivered_first()
    {
        // Before the ranges were checked a delay or time of 2^63 or more wrapped into the past and was delivered at
        // once; the largest allowed values must hold the message back.
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("reminders");
        await client.PublishAsync("reminders", Bytes("in ten years"), delayMs: DurationLimits.MaxDelayMs);
        await client.CallAsync<PublishOk>(new Publish("reminders", null,
            new PublishMessage(Bytes("at the horizon"), NotBeforeMs: (ulong)NowMs + DurationLimits.MaxDelayMs - 60_000)), FrameFlags.Confirm);
        await client.PublishAsync("reminders", Bytes("now"));
        await client.SubscribeAsync("reminders");
        var first = await client.NextDeliveryAsync();
        Assert.Equal("now", Encoding.UTF8.GetString(first.Payload.Span));
        Assert.Equal(2UL, first.Offset);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_message_with_the_maximum_ttl_is_delivered_not_expired_even_after_a_restart()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("expired");
            await client.DeclareAsync("archive", deadLetter: new DeadLetterPolicy(DeadLetterKind.Queue, "expired"));
            await client.PublishAsync("archive", Bytes("kept for ten years"), ttlMs: DurationLimits.MaxTtlMs);
        }

        await broker.RestartAsync();
        await using var after = await broker.ConnectAsync();
        await after.SubscribeAsync("archive");
        var delivery = await after.NextDeliveryAsync();
        Assert.Equal("kept for ten years", Encoding.UTF8.GetString(delivery.Payload.Span));
        Assert.Empty((await after.AckAsync(delivery.DeliveryId)).Failures);
        await after.SubscribeAsync("expired");
        Assert.True(await after.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(300)));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_queue_declared_with_a_default_ttl_or_lease_past_its_maximum_is_refused_and_not_created()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        foreach (var ttl in new[] { DurationLimits.MaxTtlMs + 1, ulong.MaxValue })
        {
            AssertOutOfRange(await client.FailAsync(new DeclareQueue("archive", DefaultTtlMs: ttl), ErrorCode.Invalid), "default_ttl_ms");
        }

        foreach (var lease in new[] { DurationLimits.MaxLeaseMs + 1, ulong.MaxValue })
        {
            AssertOutOfRange(await client.FailAsync(new DeclareQueue("archive", LeaseMs: lease), ErrorCode.Invalid), "lease_ms");
        }

        AssertOutOfRange(await client.FailAsync(new DeclareQueue("archive", LeaseMs: 99), ErrorCode.Invalid), "lease_ms");
        await client.FailAsync(new Publish("archive", null, new PublishMessage(Bytes("x"))), ErrorCode.NotFound, FrameFlags.Confirm);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_queue_with_the_maximum_default_ttl_and_lease_delivers_its_messages()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("expired");
        var ok = await client.DeclareAsync("archive", defaultTtlMs: DurationLimits.MaxTtlMs, leaseMs: DurationLimits.MaxLeaseMs,
            deadLetter: new DeadLetterPolicy(DeadLetterKind.Queue, "expired"));
        Assert.Equal(DurationLimits.MaxTtlMs, ok.DefaultTtlMs);
        Assert.Equal(DurationLimits.MaxLeaseMs, ok.LeaseMs);
        await client.PublishAsync("archive", Bytes("a"));
        await client.SubscribeAsync("archive");
        var delivery = await client.NextDeliveryAsync();
        Assert.Equal("a", Encoding.UTF8.GetString(delivery.Payload.Span));
        Assert.Empty((await client.AckAsync(delivery.DeliveryId)).Failures);
        await client.SubscribeAsync("expired");
        Assert.True(await client.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(300)));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_nack_with_a_delay_or_time_past_its_maximum_is_refused_and_settles_nothing()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        var held = await HeldDeliveriesAsync(client, "jobs", 2);
        var refusals = new (NackItem Item, string Field)[]
        {
            (new NackItem(held[0], true, DelayMs: DurationLimits.MaxDelayMs + 1), "items.delay_ms"),
            (new NackItem(held[0], true, DelayMs: ulong.MaxValue), "items.delay_ms"),
            (new NackItem(held[0], true, NotBeforeMs: ulong.MaxValue), "items.not_before_ms"),
            (new NackItem(held[0], true, NotBeforeMs: (ulong)NowMs + DurationLimits.MaxDelayMs + 3_600_000), "items.not_before_ms"),
        };
        foreach (var (item, field) in refusals)
        {
            // The valid item in the same frame is not settled either.
            AssertOutOfRange(await client.FailAsync(new Nack([new NackItem(held[1], true), item]), ErrorCode.Invalid), field);
        }

        Assert.Empty((await client.AckAsync(held[0], held[1])).Failures);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_retry_with_the_maximum_delay_is_held_back()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("jobs");
        await client.PublishAsync("jobs", Bytes("retried"));
        await client.SubscribeAsync("jobs");
        var delivery = await client.NextDeliveryAsync();
        Assert.Empty((await client.NackAsync(delivery.DeliveryId, requeue: true, delayMs: DurationLimits.MaxDelayMs)).Failures);
        await client.PublishAsync("jobs", Bytes("next"));
        var next = await client.NextDeliveryAsync();
        Assert.Equal("next", Encoding.UTF8.GetString(next.Payload.Span));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_lease_extension_past_the_maximum_or_of_zero_is_refused_and_extends_nothing()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        var held = await HeldDeliveriesAsync(client, "jobs", 2);
        foreach (var extend in new[] { 0UL, DurationLimits.MaxLeaseMs + 1, TwoPow63, ulong.MaxValue })
        {
            var frame = new ExtendLease([new LeaseExtension(held[1], 60_000), new LeaseExtension(held[0], extend)]);
            AssertOutOfRange(await client.FailAsync(frame, ErrorCode.Invalid), "items.extend_ms");
        }

        var extended = await client.CallAsync<SettleOk>(new ExtendLease([new LeaseExtension(held[0], DurationLimits.MaxLeaseMs)]));
        Assert.Empty(extended.Failures);
        Assert.Empty((await client.AckAsync(held[0], held[1])).Failures);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_lease_extension_with_request_id_zero_that_is_out_of_range_is_reported_and_the_connection_stays()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        var held = await HeldDeliveriesAsync(client, "jobs", 1);
        await client.SendAsync(new ExtendLease([new LeaseExtension(held[0], ulong.MaxValue)]));
        Frame push;
        do
        {
            push = await client.NextPushAsync();
        }
        while (push.Message is Deliver);

        AssertOutOfRange(Assert.IsType<Error>(push.Message), "items.extend_ms");
        await client.CallAsync<Pong>(Ping.Instance);
    }

    [Theory(Timeout = 30_000)]
    [InlineData(1000UL)]
    [InlineData(300_000UL)]
    public async Task A_heartbeat_proposal_of_one_second_to_five_minutes_is_taken_as_it_is(ulong proposed)
    {
        await using var broker = await TestBroker.StartAsync(o => o.Connection.HeartbeatMs = 4000);
        await using var client = await RawClient.ConnectAsync(broker.Endpoint, heartbeatMs: proposed);
        Assert.Equal(proposed, client.Welcome!.HeartbeatMs);
    }

    [Theory(Timeout = 30_000)]
    [InlineData(null)]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(999UL)]
    [InlineData(300_001UL)]
    [InlineData(TwoPow63)]
    [InlineData(ulong.MaxValue)]
    public async Task Any_other_heartbeat_proposal_gets_the_brokers_own_interval_and_the_connection(ulong? proposed)
    {
        await using var broker = await TestBroker.StartAsync(o => o.Connection.HeartbeatMs = 4000);
        await using var client = await RawClient.ConnectAsync(broker.Endpoint, heartbeatMs: proposed);
        Assert.Equal(4000UL, client.Welcome!.HeartbeatMs);
        await client.CallAsync<Pong>(Ping.Instance);
    }

    /// <summary>Publishes <paramref name="count"/> messages to a new queue and returns their delivery ids, held by a
    /// manual-ack subscription with a lease long enough for the test.</summary>
    private static async Task<ulong[]> HeldDeliveriesAsync(RawClient client, string topic, int count)
    {
        await client.DeclareAsync(topic, leaseMs: 600_000);
        for (var i = 0; i < count; i++)
        {
            await client.PublishAsync(topic, Bytes($"m{i}"));
        }

        await client.SubscribeAsync(topic, prefetch: (uint)count);
        var ids = new ulong[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = (await client.NextDeliveryAsync()).DeliveryId;
        }

        return ids;
    }

    /// <summary>The cases of wire-vectors/durations.json.</summary>
    private sealed record DurationVectors(IReadOnlyList<DurationVectors.Case> Cases)
    {
        public sealed record Case(string Id, DurationField Field, ulong Value, bool Valid);

        public static DurationVectors Load()
        {
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(Root(), "durations.json")))!;
            var fields = Enum.GetValues<DurationField>().ToDictionary(f => f.WireName());
            return new DurationVectors(json["durations"]!.AsArray()
                .Select(c => new Case((string)c!["id"]!, fields[(string)c["field"]!],
                    ulong.Parse((string)c["value"]!, CultureInfo.InvariantCulture), (bool)c["valid"]!))
                .ToList());
        }

        private static string Root()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "wire-vectors");
                if (File.Exists(Path.Combine(candidate, "durations.json")))
                {
                    return candidate;
                }
            }

            throw new DirectoryNotFoundException("wire-vectors/durations.json not found above the test directory");
        }
    }
}
