// Publishing options: batches, keys and partitions, delays, TTL, idempotency and the global DLQ target.
using System.Net.Http.Json;
using System.Text;
using Sinew.Broker.Tests.Support;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;
using Sinew.Protocol.Routing;

namespace Sinew.Broker.Tests;

public class PublishingTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    [Fact(Timeout = 30_000)]
    public async Task A_batch_is_confirmed_once_with_one_result_per_message_in_order()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("orders", partitions: 3);
        var messages = Enumerable.Range(0, 12).Select(i => new PublishMessage(Bytes($"m{i}"), PartitionKey: Bytes($"customer-{i % 4}"))).ToList();
        var ok = await client.CallAsync<PublishOk>(new PublishBatch("orders", null, messages), FrameFlags.Confirm);
        Assert.Equal(12, ok.Results.Count);
        for (var i = 0; i < 12; i++)
        {
            Assert.Equal(PartitionRouting.PartitionForKey(Bytes($"customer-{i % 4}"), 3), ok.Results[i].Partition);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_batch_with_one_invalid_message_stores_nothing()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("orders");
        var batch = new PublishBatch("orders", null,
        [
            new PublishMessage(Bytes("good")),
            new PublishMessage(Bytes("bad"), Headers: new Dictionary<string, string> { ["sinew.x"] = "y" }),
        ]);
        await client.FailAsync(batch, ErrorCode.Invalid, FrameFlags.Confirm);
        var next = await client.PublishAsync("orders", Bytes("after"));
        Assert.Equal(0UL, next.Offset);
    }

    [Fact(Timeout = 30_000)]
    public async Task Keyed_messages_land_on_the_fnv1a_partition_and_keep_their_order()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("orders", partitions: 4);
        var key = Bytes("customer-42");
        var expected = PartitionRouting.PartitionForKey(key, 4);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(expected, (await client.PublishAsync("orders", Bytes($"m{i}"), key: key)).Partition);
        }

        await client.SubscribeAsync("orders", partition: expected);
        for (var i = 0; i < 10; i++)
        {
            var delivery = await client.NextDeliveryAsync();
            Assert.Equal($"m{i}", Encoding.UTF8.GetString(delivery.Payload.Span));
            Assert.Equal(expected, delivery.Partition);
            await client.AckAsync(delivery.DeliveryId);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task Keyless_messages_are_spread_round_robin_and_a_fan_in_subscription_gets_every_partition()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("orders", partitions: 4);
        var partitions = new List<uint>();
        for (var i = 0; i < 8; i++)
        {
            partitions.Add((await client.PublishAsync("orders", Bytes($"m{i}"))).Partition);
        }

        Assert.Equal([0u, 0, 1, 1, 2, 2, 3, 3], partitions.Order().ToArray());
        var ok = await client.CallAsync<SubscribeOk>(new Subscribe("orders", null, null, AckMode.Auto, 100));
        Assert.Equal([0u, 1, 2, 3], ok.Partitions);
        var delivered = new List<uint>();
        for (var i = 0; i < 8; i++)
        {
            delivered.Add((await client.NextDeliveryAsync()).Partition);
        }

        Assert.Equal(partitions.Order(), delivered.Order());
    }

    [Fact(Timeout = 30_000)]
    public async Task A_partition_that_disagrees_with_the_key_or_does_not_exist_is_refused()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("orders", partitions: 4);
        var key = Bytes("k");
        var wrong = (PartitionRouting.PartitionForKey(key, 4) + 1) % 4;
        var mismatch = await client.FailAsync(new Publish("orders", null, new PublishMessage(Bytes("x"), PartitionKey: key, Partition: wrong)),
            ErrorCode.Invalid, FrameFlags.Confirm);
        Assert.Equal("key_partition_mismatch", mismatch.Details!["reason"]);
        await client.FailAsync(new Publish("orders", null, new PublishMessage(Bytes("x"), Partition: 9)), ErrorCode.NotFound, FrameFlags.Confirm);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_delayed_publish_is_not_delivered_before_its_not_before_time()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("reminders");
        await client.SubscribeAsync("reminders");
        var notBefore = NowMs + 700;
        await client.CallAsync<PublishOk>(new Publish("reminders", null, new PublishMessage(Bytes("later"), NotBeforeMs: (ulong)notBefore)), FrameFlags.Confirm);
        await client.PublishAsync("reminders", Bytes("now"), delayMs: null);
        var first = await client.NextDeliveryAsync();
        Assert.Equal("now", Encoding.UTF8.GetString(first.Payload.Span));
        var second = await client.NextDeliveryAsync();
        Assert.Equal("later", Encoding.UTF8.GetString(second.Payload.Span));
        Assert.True(NowMs >= notBefore);
    }

    [Fact(Timeout = 30_000)]
    public async Task An_expired_message_leaves_through_the_dead_letter_policy_with_reason_expired()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("expired");
        await client.DeclareAsync("quotes", deadLetter: new DeadLetterPolicy(DeadLetterKind.Queue, "expired"), defaultTtlMs: 60_000);
        await client.PublishAsync("quotes", Bytes("stale quote"), ttlMs: 200);
        await client.PublishAsync("quotes", Bytes("fresh quote"));
        await Task.Delay(600);
        await client.SubscribeAsync("quotes");
        var fresh = await client.NextDeliveryAsync();
        Assert.Equal("fresh quote", Encoding.UTF8.GetString(fresh.Payload.Span));
        Assert.True(await client.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(200)));
        await client.SubscribeAsync("expired");
        var dead = await client.NextDeliveryAsync();
        Assert.Equal("stale quote", Encoding.UTF8.GetString(dead.Payload.Span));
        Assert.Equal("expired", dead.Headers!["sinew.dlq.reason"]);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_message_is_never_expired_while_in_flight()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("quotes");
        await client.PublishAsync("quotes", Bytes("q"), ttlMs: 300);
        await client.SubscribeAsync("quotes");
        var delivery = await client.NextDeliveryAsync();
        await Task.Delay(600);
        Assert.Empty((await client.AckAsync(delivery.DeliveryId)).Failures);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_retried_publish_with_the_same_idempotency_key_returns_the_original_offset()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("payments", partitions: 2);
        var first = await client.PublishAsync("payments", Bytes("pay 10"), producerId: "producer-1", sequence: 7);
        var retry = await client.PublishAsync("payments", Bytes("pay 10"), producerId: "producer-1", sequence: 7);
        Assert.False(first.Duplicate);
        Assert.True(retry.Duplicate);
        Assert.Equal((first.Partition, first.Offset), (retry.Partition, retry.Offset));
        var next = await client.PublishAsync("payments", Bytes("pay 11"), producerId: "producer-1", sequence: 8);
        Assert.False(next.Duplicate);

        await broker.RestartAsync();
        await using var after = await broker.ConnectAsync();
        var afterRestart = await after.PublishAsync("payments", Bytes("pay 10"), producerId: "producer-1", sequence: 7);
        Assert.True(afterRestart.Duplicate);
        Assert.Equal((first.Partition, first.Offset), (afterRestart.Partition, afterRestart.Offset));
    }

    [Fact(Timeout = 30_000)]
    public async Task The_global_dead_letter_target_is_set_at_run_time_and_receives_dead_letters()
    {
        await using var broker = await TestBroker.StartAsync();
        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        var put = await http.PutAsJsonAsync("/admin/dead-letter-target", new { topic = "all-dead" });
        Assert.True(put.IsSuccessStatusCode);
        await using var client = await broker.ConnectAsync();
        await client.CallAsync<DeclareQueueOk>(new DeclareQueue("orders", DeadLetter: new DeadLetterPolicy(DeadLetterKind.Global)));
        await client.PublishAsync("orders", Bytes("x"));
        await client.SubscribeAsync("orders");
        await client.NackAsync((await client.NextDeliveryAsync()).DeliveryId, requeue: false);
        await client.SubscribeAsync("all-dead");
        var dead = await client.NextDeliveryAsync();
        Assert.Equal("terminal_nack", dead.Headers!["sinew.dlq.reason"]);
        Assert.Contains("all-dead", await http.GetStringAsync("/admin/dead-letter-target"), StringComparison.Ordinal);
    }
}
