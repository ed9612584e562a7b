// Settlement in detail: failing, retrying, delaying, leases, max retries and dead-letter copies.
using System.Text;
using Sinew.Broker.Tests.Support;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Tests;

public class SettlementTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    [Fact(Timeout = 30_000)]
    public async Task A_terminal_nack_dead_letters_the_message_with_its_reason_and_source_metadata()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("orders-dead");
        await client.DeclareAsync("orders", deadLetter: new DeadLetterPolicy(DeadLetterKind.Queue, "orders-dead"));
        await client.PublishAsync("orders", Bytes("bad order"), headers: new Dictionary<string, string> { ["tenant"] = "acme" });
        await client.SubscribeAsync("orders");
        var delivery = await client.NextDeliveryAsync();
        await client.NackAsync(delivery.DeliveryId, requeue: false, reason: "missing field sku");

        await client.SubscribeAsync("orders-dead");
        var dead = await client.NextDeliveryAsync();
        Assert.Equal("bad order", Encoding.UTF8.GetString(dead.Payload.Span));
        var headers = dead.Headers!;
        Assert.Equal("acme", headers["tenant"]);
        Assert.Equal("terminal_nack", headers["sinew.dlq.reason"]);
        Assert.Equal("orders", headers["sinew.dlq.source_topic"]);
        Assert.Equal("0", headers["sinew.dlq.source_partition"]);
        Assert.Equal("0", headers["sinew.dlq.source_offset"]);
        Assert.Equal("1", headers["sinew.dlq.attempts"]);
        Assert.Equal("missing field sku", headers["sinew.dlq.error"]);
        Assert.True(long.Parse(headers["sinew.dlq.dead_lettered_at_ms"], System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    [Fact(Timeout = 30_000)]
    public async Task Retries_beyond_max_retries_dead_letter_with_retries_exhausted()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("dlq");
        await client.DeclareAsync("jobs", maxRetries: 2, deadLetter: new DeadLetterPolicy(DeadLetterKind.Queue, "dlq"));
        await client.PublishAsync("jobs", Bytes("flaky"));
        var jobs = await client.SubscribeAsync("jobs");
        var attempts = new List<uint>();
        for (var i = 0; i < 3; i++)
        {
            var delivery = await client.NextDeliveryAsync();
            attempts.Add(delivery.Attempt);
            await client.NackAsync(delivery.DeliveryId, requeue: true);
        }

        Assert.Equal([1u, 2, 3], attempts);
        await client.CallAsync<Ok>(new Unsubscribe(jobs));
        await client.SubscribeAsync("dlq");
        var dead = await client.NextDeliveryAsync();
        Assert.Equal("retries_exhausted", dead.Headers!["sinew.dlq.reason"]);
        Assert.Equal("3", dead.Headers["sinew.dlq.attempts"]);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_message_that_runs_out_of_retries_carries_the_last_retry_reason_given()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("dlq");
        await client.DeclareAsync("jobs", maxRetries: 2, deadLetter: new DeadLetterPolicy(DeadLetterKind.Queue, "dlq"));
        await client.PublishAsync("jobs", Bytes("flaky"));
        var jobs = await client.SubscribeAsync("jobs");

        // The second retry gives no reason, so the first one's stands; the third replaces it.
        string?[] reasons = ["timeout calling billing", null, "billing refused the card"];
        foreach (var reason in reasons)
        {
            var delivery = await client.NextDeliveryAsync();
            await client.NackAsync(delivery.DeliveryId, requeue: true, delayMs: reason is null ? 10UL : null, reason: reason);
        }

        await client.CallAsync<Ok>(new Unsubscribe(jobs));
        await client.SubscribeAsync("dlq");
        var dead = await client.NextDeliveryAsync();
        Assert.Equal("retries_exhausted", dead.Headers!["sinew.dlq.reason"]);
        Assert.Equal("billing refused the card", dead.Headers["sinew.dlq.error"]);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_message_whose_lease_expires_on_its_last_attempt_carries_the_last_retry_reason()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("dlq");
        await client.DeclareAsync("jobs", maxRetries: 1, leaseMs: 300, deadLetter: new DeadLetterPolicy(DeadLetterKind.Queue, "dlq"));
        await client.PublishAsync("jobs", Bytes("slow"));
        var jobs = await client.SubscribeAsync("jobs");
        var first = await client.NextDeliveryAsync();
        await client.NackAsync(first.DeliveryId, requeue: true, reason: "worker overloaded");
        var second = await client.NextDeliveryAsync();
        Assert.Equal(2u, second.Attempt);

        // No settlement: the lease runs out on the last attempt allowed.
        await client.SubscribeAsync("dlq");
        var dead = await client.NextDeliveryAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("slow", Encoding.UTF8.GetString(dead.Payload.Span));
        Assert.Equal("retries_exhausted", dead.Headers!["sinew.dlq.reason"]);
        Assert.Equal("worker overloaded", dead.Headers["sinew.dlq.error"]);
        await client.CallAsync<Ok>(new Unsubscribe(jobs));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_message_retried_without_a_reason_reaches_the_dead_letter_queue_without_an_error()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("dlq");
        await client.DeclareAsync("jobs", maxRetries: 0, deadLetter: new DeadLetterPolicy(DeadLetterKind.Queue, "dlq"));
        await client.PublishAsync("jobs", Bytes("plain"), headers: new Dictionary<string, string> { ["tenant"] = "acme" });
        var jobs = await client.SubscribeAsync("jobs");
        var delivery = await client.NextDeliveryAsync();
        await client.NackAsync(delivery.DeliveryId, requeue: true);

        await client.CallAsync<Ok>(new Unsubscribe(jobs));
        await client.SubscribeAsync("dlq");
        var dead = await client.NextDeliveryAsync();
        Assert.Equal("retries_exhausted", dead.Headers!["sinew.dlq.reason"]);
        Assert.False(dead.Headers.ContainsKey("sinew.dlq.error"));
        Assert.Equal("acme", dead.Headers["tenant"]);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_delayed_retry_is_not_redelivered_before_its_delay()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("jobs");
        await client.PublishAsync("jobs", Bytes("later"));
        await client.SubscribeAsync("jobs");
        var first = await client.NextDeliveryAsync();
        var nackedAt = NowMs;
        await client.NackAsync(first.DeliveryId, requeue: true, delayMs: 800);
        var second = await client.NextDeliveryAsync();
        Assert.True(NowMs - nackedAt >= 800, $"redelivered after {NowMs - nackedAt} ms");
        Assert.Equal(2u, second.Attempt);
    }

    [Fact(Timeout = 30_000)]
    public async Task An_expired_lease_returns_the_message_and_a_late_ack_is_stale()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("jobs", leaseMs: 300);
        await client.PublishAsync("jobs", Bytes("slow"));
        await client.SubscribeAsync("jobs");
        var first = await client.NextDeliveryAsync();
        var second = await client.NextDeliveryAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(first.Offset, second.Offset);
        Assert.Equal(2u, second.Attempt);
        // The redelivery's own 300 ms lease is running: settle it first, then try the expired one.
        Assert.Empty((await client.AckAsync(second.DeliveryId)).Failures);
        var late = await client.AckAsync(first.DeliveryId);
        Assert.Equal((ushort)ErrorCode.StaleDelivery, Assert.Single(late.Failures).Code);
    }

    [Fact(Timeout = 30_000)]
    public async Task An_ack_naming_more_stale_deliveries_than_held_ones_settles_the_held_ones_and_reports_the_stale_ones()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("jobs");
        await client.PublishAsync("jobs", Bytes("a"));
        await client.PublishAsync("jobs", Bytes("b"));
        await client.SubscribeAsync("jobs", prefetch: 1);
        var first = await client.NextDeliveryAsync();

        var settled = await client.AckAsync(first.DeliveryId + 100, first.DeliveryId + 101, first.DeliveryId);
        Assert.Equal([first.DeliveryId + 100, first.DeliveryId + 101], settled.Failures.Select(f => f.DeliveryId));
        Assert.All(settled.Failures, f => Assert.Equal((ushort)ErrorCode.StaleDelivery, f.Code));

        // The settled delivery gave its prefetch credit back: the next message arrives.
        var second = await client.NextDeliveryAsync();
        Assert.Equal("b", Encoding.UTF8.GetString(second.Payload.Span));
    }

    [Fact(Timeout = 30_000)]
    public async Task Extending_a_lease_keeps_the_delivery_past_its_original_deadline()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("jobs", leaseMs: 1_000);
        await client.PublishAsync("jobs", Bytes("long task"));
        await client.SubscribeAsync("jobs");
        var delivery = await client.NextDeliveryAsync();
        // Extend well before each deadline (a loaded test machine may sleep long past 250 ms), until the
        // delivery has been held half a lease beyond the deadline it was delivered with.
        var held = System.Diagnostics.Stopwatch.StartNew();
        while (held.ElapsedMilliseconds < 1_500)
        {
            await Task.Delay(250);
            var extended = await client.CallAsync<SettleOk>(new ExtendLease([new LeaseExtension(delivery.DeliveryId, 1_000)]));
            Assert.Empty(extended.Failures);
        }

        Assert.True(await client.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(200)));
        Assert.Empty((await client.AckAsync(delivery.DeliveryId)).Failures);
    }

    [Fact(Timeout = 30_000)]
    public async Task Unsubscribing_returns_unsettled_messages_to_other_consumers()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var first = await broker.ConnectAsync();
        await using var second = await broker.ConnectAsync();
        await first.DeclareAsync("jobs");
        for (var i = 0; i < 3; i++)
        {
            await first.PublishAsync("jobs", Bytes($"m{i}"));
        }

        var subscription = await first.SubscribeAsync("jobs", prefetch: 10);
        for (var i = 0; i < 3; i++)
        {
            await first.NextDeliveryAsync();
        }

        await second.SubscribeAsync("jobs", prefetch: 10);
        Assert.True(await second.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(200)));
        await first.CallAsync<Ok>(new Unsubscribe(subscription));
        var offsets = new List<ulong>();
        for (var i = 0; i < 3; i++)
        {
            var delivery = await second.NextDeliveryAsync();
            Assert.Equal(2u, delivery.Attempt);
            offsets.Add(delivery.Offset);
        }

        Assert.Equal([0UL, 1, 2], offsets.Order().ToArray());
    }

    [Fact(Timeout = 30_000)]
    public async Task A_disconnect_returns_unsettled_messages_to_other_consumers()
    {
        // Without a reconnect grace window the session ends with its connection (the window has its own tests).
        await using var broker = await TestBroker.StartAsync(o => o.Connection.ReconnectGraceMs = 0);
        await using var survivor = await broker.ConnectAsync();
        await survivor.DeclareAsync("jobs");
        await survivor.PublishAsync("jobs", Bytes("m"));
        await using (var leaving = await broker.ConnectAsync())
        {
            await leaving.SubscribeAsync("jobs");
            await leaving.NextDeliveryAsync();
        }

        await survivor.SubscribeAsync("jobs");
        var delivery = await survivor.NextDeliveryAsync();
        Assert.Equal(0UL, delivery.Offset);
    }

    [Fact(Timeout = 30_000)]
    public async Task Prefetch_bounds_the_unsettled_deliveries_a_subscription_holds()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("jobs");
        for (var i = 0; i < 20; i++)
        {
            await client.PublishAsync("jobs", Bytes($"m{i}"));
        }

        await client.SubscribeAsync("jobs", prefetch: 5);
        var held = new List<DeliveredMessage>();
        for (var i = 0; i < 5; i++)
        {
            held.Add(await client.NextDeliveryAsync());
        }

        Assert.True(await client.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(300)));
        await client.AckAsync(held[0].DeliveryId, held[1].DeliveryId);
        await client.NextDeliveryAsync();
        await client.NextDeliveryAsync();
        Assert.True(await client.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(300)));
    }

    [Fact(Timeout = 30_000)]
    public async Task Competing_consumers_share_the_queue_fairly_and_each_message_goes_to_one_of_them()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var a = await broker.ConnectAsync();
        await using var b = await broker.ConnectAsync();
        await a.DeclareAsync("jobs");
        await a.SubscribeAsync("jobs", prefetch: 1);
        await b.SubscribeAsync("jobs", prefetch: 1);
        for (var i = 0; i < 20; i++)
        {
            await a.PublishAsync("jobs", Bytes($"m{i}"));
        }

        var seen = new System.Collections.Concurrent.ConcurrentBag<ulong>();
        async Task<int> ConsumeAsync(RawClient consumer)
        {
            var count = 0;
            while (seen.Count < 20)
            {
                DeliveredMessage delivery;
                try
                {
                    delivery = await consumer.NextDeliveryAsync(TimeSpan.FromMilliseconds(500));
                }
                catch (OperationCanceledException)
                {
                    continue;
                }

                seen.Add(delivery.Offset);
                count++;
                await consumer.AckAsync(delivery.DeliveryId);
            }

            return count;
        }

        var counts = await Task.WhenAll(ConsumeAsync(a), ConsumeAsync(b));
        Assert.Equal(20, seen.Count);
        Assert.Equal(20, seen.Distinct().Count());
        Assert.All(counts, c => Assert.InRange(c, 5, 15));
    }

    [Fact(Timeout = 30_000)]
    public async Task Auto_ack_deliveries_are_settled_once_written()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("events");
        await client.PublishAsync("events", Bytes("e"));
        await client.SubscribeAsync("events", ackMode: AckMode.Auto);
        var delivery = await client.NextDeliveryAsync();
        await Task.Delay(200);
        // Nothing is left to settle: an ack finds nothing, and a restart redelivers nothing.
        Assert.Equal((ushort)ErrorCode.StaleDelivery, Assert.Single((await client.AckAsync(delivery.DeliveryId)).Failures).Code);
        await broker.RestartAsync();
        await using var after = await broker.ConnectAsync();
        await after.SubscribeAsync("events");
        Assert.True(await after.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(500)));
    }

    [Fact(Timeout = 60_000)]
    public async Task Auto_ack_deliveries_sent_before_an_unsubscribe_are_not_delivered_again()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        const int Messages = 200;
        var payload = new byte[16 * 1024];
        await client.DeclareAsync("events");
        for (var i = 0; i < Messages; i++)
        {
            await client.PublishAsync("events", payload);
        }

        // Unsubscribe as soon as a delivery arrives, while later deliveries are still being written, a few times over;
        // then take the rest. Every message must arrive exactly once.
        var seen = new List<ulong>();
        // A round can take the whole queue: auto-ack credit returns as soon as a delivery is written.
        for (var round = 0; round < 5 && seen.Distinct().Count() < Messages; round++)
        {
            var subscription = await client.SubscribeAsync("events", prefetch: 20, ackMode: AckMode.Auto);
            seen.Add((await client.NextDeliveryAsync()).Offset);
            await client.CallAsync<Ok>(new Unsubscribe(subscription));
            while (client.BufferedDeliveries > 0)
            {
                seen.Add((await client.NextDeliveryAsync()).Offset);
            }
        }

        await client.SubscribeAsync("events", prefetch: 100, ackMode: AckMode.Auto);
        while (seen.Distinct().Count() < Messages)
        {
            seen.Add((await client.NextDeliveryAsync()).Offset);
        }

        Assert.True(await client.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(300)));
        var repeated = seen.GroupBy(o => o).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(repeated.Count == 0, $"delivered more than once: {string.Join(", ", repeated)}");
    }
}
