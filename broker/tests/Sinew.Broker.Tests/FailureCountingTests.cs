// Deliveries and failures over real connections (specification section 8.5): a consumer that loses its connection
// spends a failure of every delivery it held, Unsubscribe and Goodbye spend one only for the deliveries they list in
// handed_out (all of them without a list), and neither a SIGKILL nor a graceful restart of the broker spends one,
// while the attempt number keeps rising across both.
using System.Text;
using Sinew.Broker.Tests.Support;
using Sinew.Protocol.Messages;
using Sinew.Testing;

namespace Sinew.Broker.Tests;

public class FailureCountingTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(DeliveredMessage delivery) => Encoding.UTF8.GetString(delivery.Payload.Span);

    [Fact(Timeout = 60_000)]
    public async Task A_poison_message_whose_consumers_lose_their_connection_is_dead_lettered_after_max_retries_plus_one_losses()
    {
        // Without a reconnect grace window each lost connection returns the message at once.
        await using var broker = await TestBroker.StartAsync(o => o.Connection.ReconnectGraceMs = 0);
        await using var admin = await broker.ConnectAsync();
        await admin.DeclareAsync("dlq");
        await admin.DeclareAsync("jobs", maxRetries: 1, deadLetter: new DeadLetterPolicy(DeadLetterKind.Queue, "dlq"));
        await admin.PublishAsync("jobs", Bytes("poison"));

        for (var attempt = 1u; attempt <= 2; attempt++)
        {
            // The consumer takes the message and dies with it: its socket closes without a Goodbye.
            await using var consumer = await broker.ConnectAsync();
            await consumer.SubscribeAsync("jobs");
            var delivery = await consumer.NextDeliveryAsync();
            Assert.Equal((attempt, attempt - 1, 1u), (delivery.Attempt, delivery.Failures, delivery.MaxRetries));
        }

        await admin.SubscribeAsync("dlq");
        var dead = await admin.NextDeliveryAsync();
        Assert.Equal("poison", Text(dead));
        Assert.Equal("retries_exhausted", dead.Headers!["sinew.dlq.reason"]);
        Assert.Equal("2", dead.Headers["sinew.dlq.failures"]);
        Assert.Equal("2", dead.Headers["sinew.dlq.attempts"]);

        await using var late = await broker.ConnectAsync();
        await late.SubscribeAsync("jobs");
        Assert.True(await late.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(200)), "the dead-lettered message is still in its queue");
    }

    [Theory(Timeout = 30_000)]
    [InlineData("unsubscribe")]
    [InlineData("goodbye")]
    public async Task A_prefetched_delivery_not_listed_in_handed_out_returns_with_its_failures_unchanged(string close)
    {
        await using var broker = await TestBroker.StartAsync();
        await using var other = await broker.ConnectAsync();
        await using (var client = await broker.ConnectAsync())
        {
            var (subscription, handed, prefetched) = await TakeTwoAsync(client);

            // The listed id of no delivery this session holds is ignored.
            IReadOnlyList<ulong> handedOut = [handed.DeliveryId, prefetched.DeliveryId + 1000];
            await client.CallAsync<Ok>(close == "unsubscribe" ? new Unsubscribe(subscription, handedOut) : new Goodbye(handedOut));
        }

        await other.SubscribeAsync("jobs", prefetch: 2);
        var again = await TakeByOffsetAsync(other, 2);
        Assert.Equal([(0UL, "handed", 2u, 1u), (1UL, "prefetched", 2u, 0u)], again);
    }

    [Theory(Timeout = 30_000)]
    [InlineData("unsubscribe")]
    [InlineData("goodbye")]
    public async Task Without_a_handed_out_list_every_returned_delivery_counts_a_failure(string close)
    {
        await using var broker = await TestBroker.StartAsync();
        await using var other = await broker.ConnectAsync();
        await using (var client = await broker.ConnectAsync())
        {
            var (subscription, _, _) = await TakeTwoAsync(client);
            await client.CallAsync<Ok>(close == "unsubscribe" ? new Unsubscribe(subscription) : new Goodbye());
        }

        await other.SubscribeAsync("jobs", prefetch: 2);
        var again = await TakeByOffsetAsync(other, 2);
        Assert.Equal([(0UL, "handed", 2u, 1u), (1UL, "prefetched", 2u, 1u)], again);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_sigkill_and_restart_keeps_the_attempt_rising_and_the_failures_unchanged()
    {
        var dataDir = TempDirectory.Create("counts-sigkill");
        await using (var broker = await BrokerProcess.StartAsync(dataDir))
        {
            await using var client = await RawClient.ConnectAsync(broker.Endpoint);
            await client.DeclareAsync("jobs");
            await client.PublishAsync("jobs", Bytes("held"));
            await client.PublishAsync("jobs", Bytes("retried"));
            await client.SubscribeAsync("jobs", prefetch: 2);
            Assert.Equal((1u, 0u), Counts(await client.NextDeliveryAsync()));
            var retried = await client.NextDeliveryAsync();
            await client.NackAsync(retried.DeliveryId, requeue: true);
            Assert.Equal((2u, 1u), Counts(await client.NextDeliveryAsync()));

            // Deliveries are logged with the commit after them, without being waited for: once two confirmed
            // publishes have followed, one such commit has passed.
            await client.PublishAsync("jobs", Bytes("later 1"));
            await client.PublishAsync("jobs", Bytes("later 2"));
            await broker.KillAsync();
        }

        await using (var restarted = await BrokerProcess.StartAsync(dataDir))
        {
            await using var consumer = await RawClient.ConnectAsync(restarted.Endpoint);
            await consumer.SubscribeAsync("jobs", prefetch: 10);
            var again = await TakeByOffsetAsync(consumer, 4);
            Assert.Equal([(0UL, "held", 2u, 0u), (1UL, "retried", 3u, 1u), (2UL, "later 1", 1u, 0u), (3UL, "later 2", 1u, 0u)], again);
        }

        TempDirectory.Delete(dataDir);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_graceful_broker_restart_spends_no_failure()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (var client = await broker.ConnectAsync())
        {
            // With no retry to spare, a failure would dead-letter (here: drop) the message.
            await client.DeclareAsync("jobs", maxRetries: 0);
            await client.PublishAsync("jobs", Bytes("unfinished"));
            await client.SubscribeAsync("jobs");
            var first = await client.NextDeliveryAsync();
            Assert.Equal((1u, 0u, 0u), (first.Attempt, first.Failures, first.MaxRetries));
            await broker.RestartAsync();
        }

        await using var after = await broker.ConnectAsync();
        await after.SubscribeAsync("jobs");
        var again = await after.NextDeliveryAsync();
        Assert.Equal(("unfinished", 2u, 0u), (Text(again), again.Attempt, again.Failures!.Value));
    }

    private static (uint Attempt, uint Failures) Counts(DeliveredMessage delivery) => (delivery.Attempt, delivery.Failures!.Value);

    /// <summary>Declares "jobs" with two messages and takes both on a subscription of prefetch 2: the first stands for
    /// one handed to the application, the second for one only prefetched.</summary>
    private static async Task<(ulong Subscription, DeliveredMessage Handed, DeliveredMessage Prefetched)> TakeTwoAsync(RawClient client)
    {
        await client.DeclareAsync("jobs");
        await client.PublishAsync("jobs", Bytes("handed"));
        await client.PublishAsync("jobs", Bytes("prefetched"));
        var subscription = await client.SubscribeAsync("jobs", prefetch: 2);
        var first = await client.NextDeliveryAsync();
        var second = await client.NextDeliveryAsync();
        Assert.Equal((1u, 0u, 1u, 0u), (first.Attempt, first.Failures!.Value, second.Attempt, second.Failures!.Value));
        return (subscription, first, second);
    }

    private static async Task<List<(ulong Offset, string Text, uint Attempt, uint Failures)>> TakeByOffsetAsync(RawClient client, int count)
    {
        var taken = new List<(ulong, string, uint, uint)>();
        for (var i = 0; i < count; i++)
        {
            var delivery = await client.NextDeliveryAsync();
            taken.Add((delivery.Offset, Text(delivery), delivery.Attempt, delivery.Failures!.Value));
        }

        return [.. taken.OrderBy(t => t.Item1)];
    }
}
