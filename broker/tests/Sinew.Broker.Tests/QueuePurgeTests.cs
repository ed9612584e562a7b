// Purging a queue over HTTP: every ready and delayed message goes, indexed or still in the log past the index window,
// while the messages consumers hold stay; the purge is durable, so a restart brings nothing back and loses nothing else.
using System.Net;
using System.Text;
using Sinew.Broker.Tests.Support;
using Sinew.Protocol.Messages;
using Sinew.Testing;

namespace Sinew.Broker.Tests;

public class QueuePurgeTests
{
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("x");

    [Fact(Timeout = 60_000)]
    public async Task A_purge_removes_ready_and_delayed_messages_keeps_held_ones_and_survives_a_restart()
    {
        // A small index window, so most of the backlog waits in the log unindexed when the purge comes.
        static void SmallWindow(Sinew.Broker.Configuration.BrokerOptions o) => o.Storage.IndexWindow = 4;
        await using var broker = await TestBroker.StartAsync(SmallWindow);
        ulong keptOffset;
        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("backlog");
            for (var i = 0; i < 10; i++)
            {
                await client.PublishAsync("backlog", Payload);
            }

            await client.PublishAsync("backlog", Payload, delayMs: 3_600_000);
            await client.PublishAsync("backlog", Payload, delayMs: 3_600_000);
            await client.SubscribeAsync("backlog", prefetch: 2);
            var first = await client.NextDeliveryAsync();
            var second = await client.NextDeliveryAsync();

            using var http = new HttpClient { BaseAddress = broker.HttpBase };
            var answer = await http.PurgeQueueAsync("backlog");

            Assert.Equal(HttpStatusCode.OK, answer.Status);
            Assert.Equal(10, answer.Body.GetProperty("purged").GetInt64());
            var stats = (await http.AdminQueueAsync("backlog"))!.Value.GetProperty("partition_stats")[0];
            Assert.Equal((2, 0, 0, 2), (stats.GetProperty("unsettled").GetInt32(), stats.GetProperty("ready").GetInt32(),
                stats.GetProperty("delayed").GetInt32(), stats.GetProperty("inflight").GetInt32()));

            // The held messages are still the consumers': one is acked, the other stays unsettled.
            Assert.Empty((await client.AckAsync(first.DeliveryId)).Failures);
            keptOffset = second.Offset;
            // A purge of a queue with nothing waiting removes nothing.
            Assert.Equal(0, (await http.PurgeQueueAsync("backlog")).Body.GetProperty("purged").GetInt64());
        }

        await broker.RestartAsync(SmallWindow);
        await broker.AssertBecomesReadyAsync();
        using var after = new HttpClient { BaseAddress = broker.HttpBase };
        var restarted = (await after.AdminQueueAsync("backlog"))!.Value.GetProperty("partition_stats")[0];
        Assert.Equal((1, 1, 0), (restarted.GetProperty("unsettled").GetInt32(), restarted.GetProperty("ready").GetInt32(),
            restarted.GetProperty("delayed").GetInt32()));
        await using var consumer = await broker.ConnectAsync();
        await consumer.SubscribeAsync("backlog");
        Assert.Equal(keptOffset, (await consumer.NextDeliveryAsync()).Offset);
        // New messages keep counting from where the log was.
        Assert.Equal(12UL, (await consumer.PublishAsync("backlog", Payload)).Offset);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_purge_sums_every_partition_and_the_queue_takes_new_messages_after_it()
    {
        await using var broker = await TestBroker.StartAsync();
        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("spread", partitions: 3, group: "team");
        for (var i = 0u; i < 6; i++)
        {
            await client.PublishAsync("spread", Payload, group: "team", partition: i % 3);
        }

        var answer = await http.PurgeQueueAsync("spread", "?group=team");
        Assert.Equal((HttpStatusCode.OK, 6L), (answer.Status, answer.Body.GetProperty("purged").GetInt64()));

        var published = await client.PublishAsync("spread", Payload, group: "team", partition: 0);
        await client.SubscribeAsync("spread", group: "team");
        var delivered = await client.NextDeliveryAsync();
        Assert.Equal((0u, published.Offset), (delivered.Partition, delivered.Offset));
    }

    [Fact(Timeout = 120_000)]
    public async Task An_answered_purge_survives_a_sigkill_and_keeps_the_held_message()
    {
        var dataDir = TempDirectory.Create("purge-kill");
        try
        {
            ulong heldOffset;
            await using (var broker = await BrokerProcess.StartAsync(dataDir))
            {
                await using var client = await RawClient.ConnectAsync(broker.Endpoint);
                await client.DeclareAsync("killed");
                for (var i = 0; i < 5; i++)
                {
                    await client.PublishAsync("killed", Payload);
                }

                await client.SubscribeAsync("killed", prefetch: 1);
                heldOffset = (await client.NextDeliveryAsync()).Offset;
                using var http = new HttpClient { BaseAddress = broker.HttpBase };
                Assert.Equal(4, (await http.PurgeQueueAsync("killed")).Body.GetProperty("purged").GetInt64());
                await broker.KillAsync();
            }

            await using var restarted = await BrokerProcess.StartAsync(dataDir);
            using var after = new HttpClient { BaseAddress = restarted.HttpBase };
            await using var consumer = await RawClient.ConnectAsync(restarted.Endpoint);
            await consumer.SubscribeAsync("killed");
            Assert.Equal(heldOffset, (await consumer.NextDeliveryAsync()).Offset);
            var stats = (await after.AdminQueueAsync("killed"))!.Value.GetProperty("partition_stats")[0];
            Assert.Equal((1, 0), (stats.GetProperty("unsettled").GetInt32(), stats.GetProperty("ready").GetInt32()));
        }
        finally
        {
            TempDirectory.Delete(dataDir);
        }
    }
}
