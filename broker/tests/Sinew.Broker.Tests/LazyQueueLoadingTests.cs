// Queues are loaded lazily after a restart: the broker indexes every queue's settings at start and recovers a
// queue's partitions only when the start-up verification reaches it or a client uses it first. Until then
// /admin/queues lists the queue with its settings, loaded = false and no partition state; its first use loads it
// with every message it held, and leaves the other queues as they were.
using System.Text;
using System.Text.Json;
using Sinew.Broker.Tests.Support;

namespace Sinew.Broker.Tests;

public class LazyQueueLoadingTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Fact(Timeout = 60_000)]
    public async Task A_queue_on_disk_is_listed_unloaded_until_its_first_use_loads_it_with_its_messages()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("lazy.orders", partitions: 2, maxRetries: 4);
            await client.DeclareAsync("lazy.idle");
            foreach (var text in new[] { "o0", "o1", "o2" })
            {
                await client.PublishAsync("lazy.orders", Bytes(text), partition: 0);
            }

            await client.PublishAsync("lazy.orders", Bytes("p1"), partition: 1);
            await client.PublishAsync("lazy.idle", Bytes("i0"));

            // One message settled before the restart: a load must not bring it back.
            await client.SubscribeAsync("lazy.orders", prefetch: 1, partition: 0);
            var first = await client.NextDeliveryAsync();
            Assert.Equal("o0", Encoding.UTF8.GetString(first.Payload.Span));
            await client.AckAsync(first.DeliveryId);
        }

        // Hold the verification at start, so that only a client's use can load a queue.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await broker.RestartAsync(verificationGate: gate.Task);
        using var http = new HttpClient { BaseAddress = broker.HttpBase };

        var before = await QueuesAsync(http);
        foreach (var topic in new[] { "lazy.orders", "lazy.idle" })
        {
            var queue = before[topic];
            Assert.False(queue.GetProperty("loaded").GetBoolean(), $"{topic} was loaded before anything used it");
            Assert.Equal(JsonValueKind.Null, queue.GetProperty("partition_stats").ValueKind);
        }

        // The settings come from queue.json, without loading the partitions.
        Assert.Equal(2, before["lazy.orders"].GetProperty("partitions").GetInt32());
        Assert.Equal(4, before["lazy.orders"].GetProperty("max_retries").GetInt32());
        Assert.Equal("discard", before["lazy.orders"].GetProperty("dead_letter").GetString());
        Assert.DoesNotContain("sinew_queue_depth{topic=\"lazy.orders\"", await http.GetStringAsync("/metrics"), StringComparison.Ordinal);

        // The first use loads the queue: the next offset follows what the log held.
        await using var user = await broker.ConnectAsync();
        Assert.Equal(3UL, (await user.PublishAsync("lazy.orders", Bytes("o3"), partition: 0)).Offset);

        var after = await QueuesAsync(http);
        Assert.True(after["lazy.orders"].GetProperty("loaded").GetBoolean());
        var stats = after["lazy.orders"].GetProperty("partition_stats").EnumerateArray().ToDictionary(p => p.GetProperty("index").GetInt32());
        Assert.Equal((3, 3, 4UL), Counts(stats[0]));
        Assert.Equal((1, 1, 1UL), Counts(stats[1]));
        Assert.False(after["lazy.idle"].GetProperty("loaded").GetBoolean(), "using one queue loaded another");
        Assert.Equal(JsonValueKind.Null, after["lazy.idle"].GetProperty("partition_stats").ValueKind);

        // Every message that was unsettled comes back, in order, and the settled one does not.
        await user.SubscribeAsync("lazy.orders", partition: 0);
        var delivered = new List<(ulong Offset, string Text)>();
        for (var i = 0; i < 3; i++)
        {
            var delivery = await user.NextDeliveryAsync();
            delivered.Add((delivery.Offset, Encoding.UTF8.GetString(delivery.Payload.Span)));
        }

        Assert.Equal([(1UL, "o1"), (2UL, "o2"), (3UL, "o3")], delivered);
        Assert.True(await user.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(200)));

        // The verification then loads the rest, and finds the loaded queue done.
        gate.SetResult();
        await broker.Host.Context.Verification.Completion.WaitAsync(TimeSpan.FromSeconds(20));
        var verified = await QueuesAsync(http);
        Assert.True(verified["lazy.idle"].GetProperty("loaded").GetBoolean());
        var idle = Assert.Single(verified["lazy.idle"].GetProperty("partition_stats").EnumerateArray());
        Assert.Equal((1, 1, 1UL), Counts(idle));
    }

    [Fact(Timeout = 60_000)]
    public async Task Clients_that_use_an_unloaded_queue_at_the_same_time_all_wait_for_its_one_load()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("lazy.crowd");
            for (var i = 0; i < 5; i++)
            {
                await client.PublishAsync("lazy.crowd", Bytes($"m{i}"));
            }
        }

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await broker.RestartAsync(verificationGate: gate.Task);
        var clients = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => broker.ConnectAsync()));
        try
        {
            // Four first uses at once: each is served from the one load, so the offsets follow the log without a
            // gap or a repeat and the queue counts every message.
            var offsets = await Task.WhenAll(clients.Select((c, i) => c.PublishAsync("lazy.crowd", Bytes($"n{i}"))));
            Assert.Equal([5UL, 6UL, 7UL, 8UL], offsets.Select(r => r.Offset).Order());
            using var http = new HttpClient { BaseAddress = broker.HttpBase };
            var stats = Assert.Single((await QueuesAsync(http))["lazy.crowd"].GetProperty("partition_stats").EnumerateArray());
            Assert.Equal((9, 9, 9UL), Counts(stats));
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static (int Unsettled, int Ready, ulong NextOffset) Counts(JsonElement partition) =>
        (partition.GetProperty("unsettled").GetInt32(), partition.GetProperty("ready").GetInt32(), partition.GetProperty("next_offset").GetUInt64());

    private static async Task<Dictionary<string, JsonElement>> QueuesAsync(HttpClient http)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync("/admin/queues"));
        return document.RootElement.EnumerateArray().ToDictionary(q => q.GetProperty("topic").GetString()!, q => q.Clone());
    }
}
