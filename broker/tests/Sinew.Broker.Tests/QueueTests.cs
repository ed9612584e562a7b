// Declaring queues, publishing, consuming and settling: the core behaviours of a queue.
using System.Text;
using Sinew.Broker.Tests.Support;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Tests;

public class QueueTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Fact(Timeout = 30_000)]
    public async Task Declare_returns_the_effective_settings_and_is_idempotent_with_the_same_settings()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        var first = await client.CallAsync<DeclareQueueOk>(new DeclareQueue("orders"));
        Assert.True(first.Created);
        Assert.Equal(1u, first.Partitions);
        Assert.Equal(5u, first.MaxRetries);
        Assert.Equal(30_000UL, first.LeaseMs);
        Assert.Null(first.DefaultTtlMs);
        Assert.Equal(DeadLetterKind.Global, first.DeadLetter.Kind);

        var again = await client.CallAsync<DeclareQueueOk>(new DeclareQueue("orders"));
        Assert.False(again.Created);
        Assert.Equal(first with { Created = false }, again);
    }

    [Fact(Timeout = 30_000)]
    public async Task Redeclaring_with_different_settings_is_a_conflict_naming_the_field()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.CallAsync<DeclareQueueOk>(new DeclareQueue("orders", Partitions: 4));
        var error = await client.FailAsync(new DeclareQueue("orders", Partitions: 8), ErrorCode.Conflict);
        Assert.Equal("partitions", error.Details!["field"]);
        Assert.Equal("4", error.Details["existing"]);
        Assert.Equal("8", error.Details["requested"]);
    }

    [Fact(Timeout = 30_000)]
    public async Task The_empty_group_and_default_address_the_ungrouped_queue()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.CallAsync<DeclareQueueOk>(new DeclareQueue("orders"));
        Assert.False((await client.CallAsync<DeclareQueueOk>(new DeclareQueue("orders", "default"))).Created);
        Assert.False((await client.CallAsync<DeclareQueueOk>(new DeclareQueue("orders", ""))).Created);
        Assert.True((await client.CallAsync<DeclareQueueOk>(new DeclareQueue("orders", "eu"))).Created);
    }

    [Theory(Timeout = 30_000)]
    [InlineData("", "empty")]
    [InlineData("new orders", "whitespace")]
    [InlineData("orders.*", "reserved_character")]
    [InlineData("$sys", "reserved_prefix")]
    public async Task Declaring_an_invalid_name_is_invalid_with_the_rule_it_breaks(string topic, string reason)
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        var error = await client.FailAsync(new DeclareQueue(topic), ErrorCode.Invalid);
        Assert.Equal("topic", error.Details!["field"]);
        Assert.Equal(reason, error.Details["reason"]);
    }

    [Fact(Timeout = 30_000)]
    public async Task Confirmed_publishes_return_increasing_offsets_per_partition()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("orders");
        var offsets = new List<ulong>();
        for (var i = 0; i < 5; i++)
        {
            offsets.Add((await client.PublishAsync("orders", Bytes($"m{i}"))).Offset);
        }

        Assert.Equal([0UL, 1, 2, 3, 4], offsets);
    }

    [Fact(Timeout = 30_000)]
    public async Task Publishing_to_an_undeclared_queue_is_not_found()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        var error = await client.FailAsync(new Publish("nowhere", null, new PublishMessage(Bytes("x"))), ErrorCode.NotFound, FrameFlags.Confirm);
        Assert.Equal("nowhere", error.Details!["topic"]);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_reserved_header_is_rejected_and_the_client_carve_out_is_allowed()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("orders");
        var error = await client.FailAsync(new Publish("orders", null, new PublishMessage(Bytes("x"),
            Headers: new Dictionary<string, string> { ["Sinew.dlq.reason"] = "forged" })), ErrorCode.Invalid, FrameFlags.Confirm);
        Assert.Equal("reserved_prefix", error.Details!["reason"]);
        await client.PublishAsync("orders", Bytes("x"), headers: new Dictionary<string, string> { ["sinew.client.trace"] = "ok" });
    }

    [Fact(Timeout = 30_000)]
    public async Task A_consumer_receives_payload_headers_and_metadata_and_ack_settles_it()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("orders");
        await client.CallAsync<PublishOk>(new Publish("orders", null, new PublishMessage(Bytes("hello"), "text/plain",
            new Dictionary<string, string> { ["tenant"] = "acme" })), FrameFlags.Confirm);
        await client.SubscribeAsync("orders");
        var delivery = await client.NextDeliveryAsync();
        Assert.Equal("hello", Encoding.UTF8.GetString(delivery.Payload.Span));
        Assert.Equal("text/plain", delivery.ContentType);
        Assert.Equal("acme", delivery.Headers!["tenant"]);
        Assert.Equal(0UL, delivery.Offset);
        Assert.Equal(1u, delivery.Attempt);
        Assert.True(delivery.PublishedAtMs > 0);
        var settled = await client.AckAsync(delivery.DeliveryId);
        Assert.Empty(settled.Failures);
        var again = await client.AckAsync(delivery.DeliveryId);
        Assert.Equal((ushort)ErrorCode.StaleDelivery, Assert.Single(again.Failures).Code);
    }

    [Fact(Timeout = 30_000)]
    public async Task Retry_redelivers_with_a_higher_attempt_number()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("orders");
        await client.PublishAsync("orders", Bytes("x"));
        await client.SubscribeAsync("orders");
        var first = await client.NextDeliveryAsync();
        await client.NackAsync(first.DeliveryId, requeue: true);
        var second = await client.NextDeliveryAsync();
        Assert.Equal(first.Offset, second.Offset);
        Assert.Equal(2u, second.Attempt);
        Assert.NotEqual(first.DeliveryId, second.DeliveryId);
    }

    [Fact(Timeout = 30_000)]
    public async Task Messages_published_before_a_graceful_restart_are_still_there_after_it()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("orders", partitions: 2);
            for (var i = 0; i < 10; i++)
            {
                await client.PublishAsync("orders", Bytes($"m{i}"));
            }
        }

        await broker.RestartAsync();
        await using var after = await broker.ConnectAsync();
        await after.SubscribeAsync("orders");
        var payloads = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var delivery = await after.NextDeliveryAsync();
            payloads.Add(Encoding.UTF8.GetString(delivery.Payload.Span));
            await after.AckAsync(delivery.DeliveryId);
        }

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"m{i}").Order(), payloads.Order());
    }
}
