// The broker's own $dead-letters queue and dead letters that are never dropped or stranded (spec 7.1, 8.1, 8.7):
// the global policy sends to $dead-letters until an operator sets another target, clients may subscribe to it but
// never declare it or publish to it, the first dead letter of a queue is logged once, and a copy the target cannot
// take keeps its original out of delivery (counted as dead_lettering) until it is durable, across a restart too,
// without a second copy.
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sinew.Broker.Tests.Support;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Tests;

public class DeadLetterQueueTests
{
    private const string DeadLetters = "$dead-letters";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Fact(Timeout = 30_000)]
    public async Task With_the_default_global_policy_a_failed_message_reaches_the_brokers_own_dead_letters_queue_and_is_acked_there()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        // No dead-letter policy: the broker's default, global, with no global target set.
        var declared = await client.CallAsync<DeclareQueueOk>(new DeclareQueue("orders"));
        Assert.Equal(DeadLetterKind.Global, declared.DeadLetter.Kind);
        await client.PublishAsync("orders", Bytes("bad order"), headers: new Dictionary<string, string> { ["tenant"] = "acme" });
        await client.SubscribeAsync("orders");
        var delivery = await client.NextDeliveryAsync();
        Assert.Empty((await client.NackAsync(delivery.DeliveryId, requeue: false, reason: "missing sku")).Failures);

        await using var reader = await broker.ConnectAsync();
        await reader.SubscribeAsync(DeadLetters);
        var dead = await reader.NextDeliveryAsync(Patience);
        Assert.Equal("bad order", Encoding.UTF8.GetString(dead.Payload.Span));
        var headers = dead.Headers!;
        Assert.Equal("acme", headers["tenant"]);
        Assert.Equal("terminal_nack", headers["sinew.dlq.reason"]);
        Assert.Equal("orders", headers["sinew.dlq.source_topic"]);
        Assert.Equal(delivery.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture), headers["sinew.dlq.source_offset"]);
        Assert.Equal("missing sku", headers["sinew.dlq.error"]);
        Assert.Empty((await reader.AckAsync(dead.DeliveryId)).Failures);

        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        var queues = await QueuesAsync(http);
        Assert.Equal(0, Partition(queues[DeadLetters]).GetProperty("unsettled").GetInt32());
        Assert.Equal(0, Partition(queues["orders"]).GetProperty("unsettled").GetInt32());
        Assert.Equal(0, queues["orders"].GetProperty("dead_lettering").GetInt32());
    }

    [Fact(Timeout = 30_000)]
    public async Task The_dead_letters_queue_exists_from_the_start_with_an_unlimited_retry_budget_is_in_the_topology_answer_and_survives_a_restart()
    {
        await using var broker = await TestBroker.StartAsync();
        for (var run = 0; run < 2; run++)
        {
            await using var client = await broker.ConnectAsync();
            var topology = await client.CallAsync<Topology>(TopologyRequest.Instance);
            var channel = Assert.Single(topology.Channels);
            Assert.Equal((ChannelKind.Queue, DeadLetters, (string?)null, 1u), (channel.Kind, channel.Topic, channel.Group, channel.Partitions));

            using var http = new HttpClient { BaseAddress = broker.HttpBase };
            var queue = (await QueuesAsync(http))[DeadLetters];
            Assert.True(queue.GetProperty("broker_owned").GetBoolean());
            Assert.Equal("discard", queue.GetProperty("dead_letter").GetString());
            Assert.Equal(1, queue.GetProperty("partitions").GetInt32());
            // A reader that keeps failing must not make the broker discard the dead letters it keeps.
            Assert.Equal(uint.MaxValue - 1, queue.GetProperty("max_retries").GetUInt32());
            await broker.AssertBecomesReadyAsync();
            await broker.RestartAsync();
        }

        Assert.DoesNotContain(broker.Log.Lines, line => line.Contains("quarantined", StringComparison.OrdinalIgnoreCase));
    }

    [Fact(Timeout = 30_000)]
    public async Task Declaring_or_publishing_to_dead_letters_is_refused_as_reserved_prefix_and_other_dollar_names_cannot_be_subscribed()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        var refusals = new[]
        {
            await client.FailAsync(new DeclareQueue(DeadLetters), ErrorCode.Invalid),
            await client.FailAsync(new Publish(DeadLetters, null, new PublishMessage(Bytes("forged"))), ErrorCode.Invalid, FrameFlags.Confirm),
            await client.FailAsync(new PublishBatch(DeadLetters, null, [new PublishMessage(Bytes("forged"))]), ErrorCode.Invalid, FrameFlags.Confirm),
            await client.FailAsync(new Subscribe("$elsewhere", null, null, AckMode.Manual, 10), ErrorCode.Invalid),
            await client.FailAsync(new Subscribe(DeadLetters, "eu", null, AckMode.Manual, 10), ErrorCode.Invalid),
        };
        foreach (var refusal in refusals)
        {
            Assert.Equal("reserved_prefix", refusal.Details!["reason"]);
        }

        // Subscribing to the broker's own queue works, group "default" being no group; nothing was stored by the refusals.
        await client.CallAsync<SubscribeOk>(new Subscribe(DeadLetters, "default", null, AckMode.Manual, 10));
        Assert.True(await client.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(200)));
        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        Assert.Equal(0, Partition((await QueuesAsync(http))[DeadLetters]).GetProperty("next_offset").GetInt32());
    }

    [Fact(Timeout = 30_000)]
    public async Task The_first_dead_letter_of_each_queue_is_logged_once_with_the_queue_the_reason_and_the_target()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("orders", deadLetter: new DeadLetterPolicy(DeadLetterKind.Global));
        await client.DeclareAsync("scratch", deadLetter: new DeadLetterPolicy(DeadLetterKind.Discard));
        for (var i = 0; i < 3; i++)
        {
            await client.PublishAsync("orders", Bytes($"order {i}"));
            await client.PublishAsync("scratch", Bytes($"scratch {i}"));
        }

        await client.SubscribeAsync("orders");
        await client.SubscribeAsync("scratch");
        for (var i = 0; i < 6; i++)
        {
            await client.NackAsync((await client.NextDeliveryAsync()).DeliveryId, requeue: false);
        }

        var orders = broker.Log.Lines.Where(l => l.Contains("Queue orders dead-lettered its first message", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(orders);
        Assert.StartsWith("Warning", line, StringComparison.Ordinal);
        Assert.Contains("reason terminal_nack", line, StringComparison.Ordinal);
        Assert.Contains("queue $dead-letters", line, StringComparison.Ordinal);
        var scratch = Assert.Single(broker.Log.Lines, l => l.Contains("Queue scratch dead-lettered its first message", StringComparison.Ordinal));
        Assert.Contains("policy is discard", scratch, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task Setting_the_global_target_to_none_or_to_dead_letters_means_the_brokers_own_queue_again()
    {
        await using var broker = await TestBroker.StartAsync();
        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        async Task<(string? Topic, bool Default)> TargetAsync()
        {
            using var target = JsonDocument.Parse(await http.GetStringAsync("/admin/dead-letter-target"));
            return (target.RootElement.GetProperty("topic").GetString(), target.RootElement.GetProperty("default").GetBoolean());
        }

        Assert.Equal((DeadLetters, true), await TargetAsync());
        Assert.True((await http.PutAsJsonAsync("/admin/dead-letter-target", new { topic = "all-dead" })).IsSuccessStatusCode);
        Assert.Equal(("all-dead", false), await TargetAsync());
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync("/admin/dead-letter-target")).StatusCode);
        Assert.Equal((DeadLetters, true), await TargetAsync());
        Assert.True((await http.PutAsJsonAsync("/admin/dead-letter-target", new { topic = "all-dead" })).IsSuccessStatusCode);
        Assert.True((await http.PutAsJsonAsync("/admin/dead-letter-target", new { topic = DeadLetters })).IsSuccessStatusCode);
        Assert.Equal((DeadLetters, true), await TargetAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PutAsJsonAsync("/admin/dead-letter-target", new { topic = "$elsewhere" })).StatusCode);
        Assert.Equal((DeadLetters, true), await TargetAsync());

        // Kept across a restart, like any runtime setting.
        Assert.True((await http.PutAsJsonAsync("/admin/dead-letter-target", new { topic = "all-dead" })).IsSuccessStatusCode);
        await broker.RestartAsync();
        using var after = new HttpClient { BaseAddress = broker.HttpBase };
        Assert.Contains("\"topic\":\"all-dead\"", await after.GetStringAsync("/admin/dead-letter-target"), StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_target_that_cannot_write_keeps_the_original_out_of_delivery_as_dead_lettering_and_gets_one_copy_once_it_recovers()
    {
        await using var broker = await TestBroker.StartAsync();
        await broker.AssertBecomesReadyAsync();
        await using var client = await broker.ConnectAsync();
        await client.CallAsync<DeclareQueueOk>(new DeclareQueue("orders"));
        await client.PublishAsync("orders", Bytes("doomed"));
        var fault = new TargetFault(broker, DeadLettersDirectory);

        await client.SubscribeAsync("orders");
        var delivery = await client.NextDeliveryAsync();
        Assert.Empty((await client.NackAsync(delivery.DeliveryId, requeue: false, reason: "broken")).Failures);
        await WaitForLogAsync(broker, "cannot send dead letters to $dead-letters");

        // The original is neither delivered again nor gone: it is counted as dead_lettering.
        await using var reader = await broker.ConnectAsync();
        await reader.SubscribeAsync(DeadLetters);
        Assert.True(await client.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(500)));
        Assert.True(await reader.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(100)));
        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        var orders = (await QueuesAsync(http))["orders"];
        Assert.Equal(1, orders.GetProperty("dead_lettering").GetInt32());
        Assert.Equal(1, Partition(orders).GetProperty("dead_lettering").GetInt32());
        Assert.Equal(1, Partition(orders).GetProperty("unsettled").GetInt32());
        Assert.Contains("sinew_queue_dead_lettering{topic=\"orders\",group=\"\"} 1", await http.GetStringAsync("/metrics"), StringComparison.Ordinal);

        fault.Clear();
        var dead = await reader.NextDeliveryAsync(Patience);
        Assert.Equal("doomed", Encoding.UTF8.GetString(dead.Payload.Span));
        Assert.Equal("broken", dead.Headers!["sinew.dlq.error"]);
        await EventuallyAsync(async () => (await QueuesAsync(http))["orders"].GetProperty("dead_lettering").GetInt32() == 0, "dead_lettering never went back to 0");

        var queues = await QueuesAsync(http);
        Assert.Equal(0, Partition(queues["orders"]).GetProperty("unsettled").GetInt32());
        Assert.Equal(1, Partition(queues[DeadLetters]).GetProperty("next_offset").GetInt32());
        Assert.True(await reader.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Contains("sinew_queue_dead_lettering{topic=\"orders\",group=\"\"} 0", await http.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_dead_letter_stranded_when_the_broker_restarts_is_routed_after_recovery_with_its_reason_and_error()
    {
        await using var broker = await TestBroker.StartAsync(logFrom: LogLevel.Information);
        await broker.AssertBecomesReadyAsync();
        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("orders", deadLetter: new DeadLetterPolicy(DeadLetterKind.Global));
            await client.PublishAsync("orders", Bytes("doomed"));
            _ = new TargetFault(broker, DeadLettersDirectory);
            await client.SubscribeAsync("orders");
            Assert.Empty((await client.NackAsync((await client.NextDeliveryAsync()).DeliveryId, requeue: false, reason: "broken")).Failures);
            await WaitForLogAsync(broker, "cannot send dead letters to $dead-letters");
        }

        // The new broker's storage does not fail: the copy the old one could not write is sent again.
        await broker.RestartAsync();
        await using var reader = await broker.ConnectAsync();
        await reader.SubscribeAsync(DeadLetters);
        var dead = await reader.NextDeliveryAsync(Patience);
        Assert.Equal("doomed", Encoding.UTF8.GetString(dead.Payload.Span));
        Assert.Equal("terminal_nack", dead.Headers!["sinew.dlq.reason"]);
        Assert.Equal("broken", dead.Headers["sinew.dlq.error"]);
        Assert.Contains(broker.Log.Lines, l => l.Contains("Partition 0 of queue orders: 1 message(s) were leaving through the dead-letter policy", StringComparison.Ordinal));

        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        await EventuallyAsync(async () => Partition((await QueuesAsync(http))["orders"]).GetProperty("unsettled").GetInt32() == 0,
            "the original was not removed once its copy was durable");
        Assert.Equal(1, Partition((await QueuesAsync(http))[DeadLetters]).GetProperty("next_offset").GetInt32());
        Assert.True(await reader.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(300)));

        // Removed for good: another restart routes nothing again.
        await broker.RestartAsync();
        await using var again = await broker.ConnectAsync();
        await again.SubscribeAsync("orders");
        Assert.True(await again.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(300)));
        using var last = new HttpClient { BaseAddress = broker.HttpBase };
        Assert.Equal(1, Partition((await QueuesAsync(last))[DeadLetters]).GetProperty("next_offset").GetInt32());
    }

    [Fact(Timeout = 60_000)]
    public async Task A_restart_after_the_copy_is_durable_but_before_the_original_is_removed_stores_no_second_copy()
    {
        await using var broker = await TestBroker.StartAsync(logFrom: LogLevel.Information);
        await broker.AssertBecomesReadyAsync();
        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("orders", deadLetter: new DeadLetterPolicy(DeadLetterKind.Global));
            await client.PublishAsync("orders", Bytes("doomed"));
            var fault = new TargetFault(broker, DeadLettersDirectory);
            await client.SubscribeAsync("orders");
            Assert.Empty((await client.NackAsync((await client.NextDeliveryAsync()).DeliveryId, requeue: false)).Failures);
            await WaitForLogAsync(broker, "cannot send dead letters to $dead-letters");

            // Now the source cannot write instead: the copy becomes durable, the record removing the original never does.
            fault.MoveTo(OrdersDirectory);
            using var http = new HttpClient { BaseAddress = broker.HttpBase };
            await EventuallyAsync(async () => (await QueuesAsync(http))["orders"].GetProperty("dead_lettering").GetInt32() == 0
                                              && (await http.GetStringAsync("/metrics")).Contains("sinew_partitions_parked 1", StringComparison.Ordinal),
                "the copy never became durable, or the source never failed to write its removal");
            Assert.Equal(1, Partition((await QueuesAsync(http))[DeadLetters]).GetProperty("next_offset").GetInt32());
        }

        await broker.RestartAsync();
        await broker.AssertBecomesReadyAsync();
        // Recovery found the dead-lettering unfinished and sent the copy again; the target knew it by its key.
        Assert.Contains(broker.Log.Lines, l => l.Contains("Partition 0 of queue orders: 1 message(s) were leaving through the dead-letter policy", StringComparison.Ordinal));
        using var after = new HttpClient { BaseAddress = broker.HttpBase };
        await EventuallyAsync(async () => Partition((await QueuesAsync(after))["orders"]).GetProperty("unsettled").GetInt32() == 0,
            "the original was not removed after the restart");
        Assert.Equal(1, Partition((await QueuesAsync(after))[DeadLetters]).GetProperty("next_offset").GetInt32());
        await using var reader = await broker.ConnectAsync();
        await reader.SubscribeAsync(DeadLetters);
        Assert.Equal("doomed", Encoding.UTF8.GetString((await reader.NextDeliveryAsync(Patience)).Payload.Span));
        Assert.True(await reader.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(300)));
    }

    [Fact(Timeout = 60_000)]
    public async Task Dead_letters_for_a_quarantined_target_wait_in_their_queue_until_an_operator_points_the_global_target_elsewhere()
    {
        await using var broker = await TestBroker.StartAsync();
        using (var http = new HttpClient { BaseAddress = broker.HttpBase })
        {
            Assert.True((await http.PutAsJsonAsync("/admin/dead-letter-target", new { topic = "broken" })).IsSuccessStatusCode);
        }

        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("broken");
            await client.DeclareAsync("orders", deadLetter: new DeadLetterPolicy(DeadLetterKind.Global));
            await client.PublishAsync("orders", Bytes("doomed"));
        }

        await broker.Host.StopAsync();
        await File.WriteAllTextAsync(DataFiles.QueueFile(broker.DataDir, "broken"), "{ not json");
        await broker.RestartAsync();

        await using var consumer = await broker.ConnectAsync();
        await consumer.SubscribeAsync("orders");
        Assert.Empty((await consumer.NackAsync((await consumer.NextDeliveryAsync()).DeliveryId, requeue: false)).Failures);
        await WaitForLogAsync(broker, "cannot send dead letters to broken");
        using var admin = new HttpClient { BaseAddress = broker.HttpBase };
        Assert.Equal(1, (await QueuesAsync(admin))["orders"].GetProperty("dead_lettering").GetInt32());
        Assert.True(await consumer.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(300)));

        await consumer.DeclareAsync("rescue");
        await consumer.SubscribeAsync("rescue");
        Assert.True((await admin.PutAsJsonAsync("/admin/dead-letter-target", new { topic = "rescue" })).IsSuccessStatusCode);
        var dead = await consumer.NextDeliveryAsync(Patience);
        Assert.Equal(("doomed", "orders"), (Encoding.UTF8.GetString(dead.Payload.Span), dead.Headers!["sinew.dlq.source_topic"]));
        await EventuallyAsync(async () => (await QueuesAsync(admin))["orders"].GetProperty("dead_lettering").GetInt32() == 0,
            "the original stayed after its copy reached the new target");
    }

    // Queue directories are named after the queue ("$" becomes "_") plus a hash of the exact name.
    private static readonly string DeadLettersDirectory = Path.DirectorySeparatorChar + "_dead-letters-";
    private static readonly string OrdersDirectory = Path.DirectorySeparatorChar + "orders-";

    private static JsonElement Partition(JsonElement queue) => Assert.Single(queue.GetProperty("partition_stats").EnumerateArray());

    private static async Task<Dictionary<string, JsonElement>> QueuesAsync(HttpClient http)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync("/admin/queues"));
        return document.RootElement.EnumerateArray().ToDictionary(q => q.GetProperty("topic").GetString()!, q => q.Clone());
    }

    private static Task WaitForLogAsync(TestBroker broker, string text) =>
        EventuallyAsync(() => Task.FromResult(broker.Log.Lines.Any(l => l.Contains(text, StringComparison.Ordinal))), $"the broker never logged \"{text}\"");

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string failure)
    {
        Assert.True(await EngineHarness.EventuallyAsync(condition, Patience), failure);
    }

    /// <summary>Makes every log write and fsync under one queue's directory fail, as a broken disk would, until cleared.</summary>
    private sealed class TargetFault
    {
        private readonly TestBroker _broker;
        private string? _directory;

        public TargetFault(TestBroker broker, string directory)
        {
            _broker = broker;
            _directory = directory;
            broker.Host.Context.Services.StorageFaults.Inject = (operation, path) =>
                operation is Sinew.Broker.Storage.StorageOperation.Write or Sinew.Broker.Storage.StorageOperation.Sync
                && Volatile.Read(ref _directory) is { } failing && path.Contains(failing, StringComparison.Ordinal)
                    ? new IOException($"injected write failure under {failing}")
                    : null;
        }

        public void MoveTo(string directory) => Volatile.Write(ref _directory, directory);

        public void Clear() => _broker.Host.Context.Services.StorageFaults.Inject = null;
    }
}
