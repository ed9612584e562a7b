// Publishing, against the scripted fake: what goes on the wire, how a confirmation maps to a receipt, the route a
// client picks, answers a real broker does not give on cue (a redirect, a withheld confirmation), and the checks that
// refuse a message before anything is sent. What the broker stores, and the receipts it gives, are tested against the
// real broker (Broker/PublishOnRealBrokerTests.cs).
using Sinew.Client.Tests.Fakes;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Routing;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Engine;

public class PublishTests
{
    [Fact(Timeout = 10_000)]
    public async Task A_confirmed_publish_returns_the_partition_and_offset_the_broker_confirmed()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        broker.AnswerInTurn<Wire.Publish>(ScriptedReplies.PublishOk((0, 0)), ScriptedReplies.PublishOk((0, 1)));
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        var publisher = client.CreatePublisher("orders");

        var first = await publisher.PublishAsync(OutgoingMessage.FromText("a"));
        var second = await publisher.PublishAsync(OutgoingMessage.FromText("b"));

        Assert.Equal(new PublishReceipt(0, 0, false), first);
        Assert.Equal(new PublishReceipt(0, 1, false), second);
        var frame = await broker.WaitForAsync<Wire.Publish>();
        Assert.Equal(FrameFlags.Confirm, frame.Header.Flags);
        Assert.NotEqual(0u, frame.RequestId);
    }

    [Fact(Timeout = 10_000)]
    public async Task Every_message_field_reaches_the_wire()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        broker.Answer<Wire.Publish>(p => ScriptedReplies.PublishOk((p.Message.Partition ?? 0, 0)));
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders", new QueueOptions { Group = "eu", Partitions = 4 });
        var publisher = client.CreatePublisher("orders", new PublisherOptions { Group = "eu" });
        // A whole millisecond a month ahead: well inside the 3650 days a not-before time may be ahead.
        var notBeforeMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 30L * 86_400_000;
        var notBefore = DateTimeOffset.FromUnixTimeMilliseconds(notBeforeMs);

        await publisher.PublishAsync(new OutgoingMessage(new byte[] { 1, 2, 3 })
        {
            ContentType = "application/octet-stream",
            Headers = new Dictionary<string, string> { ["tenant"] = "acme", ["sinew.client.origin"] = "tests" },
            Key = new byte[] { 9, 9 },
            NotBefore = notBefore,
            Ttl = TimeSpan.FromSeconds(90),
        });

        var publish = (Wire.Publish)(await broker.WaitForAsync<Wire.Publish>()).Message;
        Assert.Equal(("orders", "eu"), (publish.Topic, publish.Group));
        var message = publish.Message;
        Assert.Equal(new byte[] { 1, 2, 3 }, message.Payload.ToArray());
        Assert.Equal("application/octet-stream", message.ContentType);
        Assert.Equal("acme", message.Headers!["tenant"]);
        Assert.Equal("tests", message.Headers["sinew.client.origin"]);
        Assert.Equal(new byte[] { 9, 9 }, message.PartitionKey!.Value.ToArray());
        Assert.Equal(PartitionRouting.PartitionForKey(new byte[] { 9, 9 }, 4), message.Partition);
        Assert.Equal((ulong)notBeforeMs, message.NotBeforeMs);
        Assert.Null(message.DelayMs);
        Assert.Equal(90_000UL, message.TtlMs);
        Assert.Null(message.ProducerId);
        Assert.Null(message.Sequence);
    }

    [Fact(Timeout = 10_000)]
    public async Task An_unconfirmed_publish_asks_for_no_reply()
    {
        // That the broker stores it: Broker/PublishOnRealBrokerTests.cs.
        await using var broker = new FakeBroker();
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        await client.CreatePublisher("orders").PublishUnconfirmedAsync(OutgoingMessage.FromText("fire and forget"));
        var frame = await broker.WaitForAsync<Wire.Publish>();
        Assert.Equal(0u, frame.RequestId);
        Assert.Equal(FrameFlags.None, frame.Header.Flags);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_batch_is_one_frame_and_its_receipts_follow_the_message_order()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        broker.Answer<Wire.PublishBatch>(_ => ScriptedReplies.PublishOk((0, 0), (1, 0), (0, 1)));
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders", new QueueOptions { Partitions = 2 });
        var receipts = await client.CreatePublisher("orders").PublishBatchAsync(
            [OutgoingMessage.FromText("a"), OutgoingMessage.FromText("b"), OutgoingMessage.FromText("c")]);

        var batch = (Wire.PublishBatch)Assert.Single(broker.Received, f => f.Message is Wire.PublishBatch).Message;
        Assert.Equal(3, batch.Messages.Count);
        Assert.Equal(new[] { 0, 1, 0 }, receipts.Select(r => r.Partition));
        Assert.Equal(new ulong[] { 0, 0, 1 }, receipts.Select(r => r.Offset));
        Assert.Equal(new uint?[] { 0, 1, 0 }, batch.Messages.Select(m => m.Partition));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_batch_larger_than_the_broker_allows_is_refused_and_an_empty_one_sends_nothing()
    {
        await using var broker = new FakeBroker { AnswerHello = ScriptedReplies.HelloOk(limits: new Wire.Limits(FrameLimits.DefaultMaxFrameBytes, 2, 64, 1000)) };
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        var publisher = client.CreatePublisher("orders");
        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() =>
            publisher.PublishBatchAsync([OutgoingMessage.FromText("a"), OutgoingMessage.FromText("b"), OutgoingMessage.FromText("c")]));
        Assert.Contains("at most 2", error.Message, StringComparison.Ordinal);
        Assert.Equal(("messages", "too_many"), (error.Argument, error.Reason));
        Assert.Empty(await publisher.PublishBatchAsync([]));
        Assert.Empty(await client.CreateReliablePublisher("orders").PublishBatchAsync([]));
        Assert.Empty(broker.ReceivedOf<Wire.PublishBatch>());
        Assert.Empty(broker.ReceivedOf<Wire.Publish>());
    }

    [Fact(Timeout = 10_000)]
    public async Task A_message_over_the_frame_limit_is_refused_and_the_connection_carries_on()
    {
        await using var broker = new FakeBroker { AnswerHello = ScriptedReplies.HelloOk(limits: new Wire.Limits(64 * 1024, 1024, 64, 1000)) };
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        broker.Answer<Wire.Publish>(_ => ScriptedReplies.PublishOk((0, 0)));
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        var publisher = client.CreatePublisher("orders");
        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => publisher.PublishAsync(new OutgoingMessage(new byte[70_000])));
        Assert.Equal("frame_too_large", error.Reason);
        Assert.Equal(0UL, (await publisher.PublishAsync(new OutgoingMessage(new byte[60_000]))).Offset);
        Assert.Single(broker.ReceivedOf<Wire.Publish>());

        // The refused message is not counted as awaiting a confirmation.
        await publisher.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(2));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_queue_this_client_never_declared_is_looked_up_once_in_the_topology()
    {
        // Another client declared the queue; the broker lists it in its topology and confirms each message on the
        // partition the client chose.
        await using var broker = new FakeBroker();
        broker.Answer<Wire.TopologyRequest>(_ => ScriptedReplies.Topology(ScriptedReplies.Queue("orders", 3)));
        broker.Answer<Wire.Publish>(p => ScriptedReplies.PublishOk((p.Message.Partition!.Value, 0)));
        await using var client = await TestClients.ConnectAsync(broker);
        var publisher = client.CreatePublisher("orders");
        var partitions = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            partitions.Add((await publisher.PublishAsync(OutgoingMessage.FromText("x"))).Partition);
        }

        Assert.Equal([0, 1, 2, 0], partitions);
        Assert.Single(broker.ReceivedOf<Wire.TopologyRequest>());
        Assert.NotNull(broker.ReceivedOf<Wire.Publish>()[0].RoutingVersion);
    }

    [Fact(Timeout = 10_000)]
    public async Task Publishing_to_a_queue_that_does_not_exist_says_to_declare_it()
    {
        await using var broker = new FakeBroker();
        AnswerAsForAQueueThatDoesNotExist(broker);
        await using var client = await TestClients.ConnectAsync(broker);
        var error = await Assert.ThrowsAsync<BrokerException>(() => client.CreatePublisher("nowhere").PublishAsync(OutgoingMessage.FromText("x")));
        Assert.Equal("not_found", error.Code);
        Assert.Contains("Publish to queue 'nowhere' failed", error.Message, StringComparison.Ordinal);
        Assert.Contains("DeclareQueueAsync", error.Message, StringComparison.Ordinal);
        // With no routing information a keyless message goes to partition 0, after one topology lookup.
        Assert.Equal(0u, Assert.Single(broker.ReceivedOf<Wire.Publish>()).Message.Partition);
        Assert.Single(broker.ReceivedOf<Wire.TopologyRequest>());
    }

    [Fact(Timeout = 10_000)]
    public async Task Without_routing_information_a_keyed_message_is_sent_with_its_key_and_no_partition()
    {
        await using var broker = new FakeBroker();
        AnswerAsForAQueueThatDoesNotExist(broker);
        await using var client = await TestClients.ConnectAsync(broker);
        await Assert.ThrowsAsync<BrokerException>(() => client.CreatePublisher("nowhere").PublishAsync(OutgoingMessage.FromText("x").WithKey("customer-7")));

        // The broker routes it by the key; a partition guessed by the client could contradict the key.
        var sent = Assert.Single(broker.ReceivedOf<Wire.Publish>()).Message;
        Assert.Equal("customer-7"u8.ToArray(), sent.PartitionKey!.Value.ToArray());
        Assert.Null(sent.Partition);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_redirect_refreshes_the_route_and_the_publish_is_sent_again()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        broker.Answer<Wire.TopologyRequest>(_ => ScriptedReplies.Topology(ScriptedReplies.Queue("orders", 2)));
        broker.AnswerInTurn<Wire.Publish>(
            ScriptedReplies.Error(ErrorCode.Redirect, true, "routing moved", new Dictionary<string, string> { ["routing_version"] = "9" }),
            ScriptedReplies.PublishOk((0, 0)));
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders", new QueueOptions { Partitions = 2 });
        var publisher = client.CreatePublisher("orders");
        Assert.Empty(broker.ReceivedOf<Wire.TopologyRequest>());

        // The redirect no longer reaches the caller: the client asks for the topology and sends the message again.
        await publisher.PublishAsync(OutgoingMessage.FromText("x"));
        Assert.Single(broker.ReceivedOf<Wire.TopologyRequest>());
        Assert.Equal(2, broker.ReceivedOf<Wire.Publish>().Count);
    }

    [Fact(Timeout = 10_000)]
    public async Task Publisher_defaults_apply_to_messages_that_set_nothing()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        broker.Answer<Wire.Publish>(_ => ScriptedReplies.PublishOk((0, 0)));
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        var publisher = client.CreatePublisher("orders", new PublisherOptions { Delay = TimeSpan.FromSeconds(2), Ttl = TimeSpan.FromMinutes(5) });
        await publisher.PublishAsync(OutgoingMessage.FromText("defaults"));
        await publisher.PublishAsync(OutgoingMessage.FromText("own").WithDelay(TimeSpan.FromMilliseconds(7)).WithTtl(TimeSpan.FromSeconds(1)));
        await publisher.PublishAsync(OutgoingMessage.FromText("absolute").WithNotBefore(DateTimeOffset.UtcNow.AddHours(1)));

        var messages = broker.ReceivedOf<Wire.Publish>().Select(p => p.Message).ToList();
        Assert.Equal((2000UL, 300_000UL), (messages[0].DelayMs!.Value, messages[0].TtlMs!.Value));
        Assert.Equal((7UL, 1000UL), (messages[1].DelayMs!.Value, messages[1].TtlMs!.Value));
        Assert.Null(messages[2].DelayMs);
        Assert.NotNull(messages[2].NotBeforeMs);
    }

    [Fact(Timeout = 10_000)]
    public async Task Invalid_messages_are_refused_before_anything_is_sent()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        var publisher = client.CreatePublisher("orders");

        Assert.Equal("reserved_prefix", (await Assert.ThrowsAsync<InvalidArgumentException>(() =>
            publisher.PublishAsync(OutgoingMessage.FromText("x").WithHeader("sinew.attempt", "1")))).Reason);
        Assert.Equal("conflicting_options", (await Assert.ThrowsAsync<InvalidArgumentException>(() =>
            publisher.PublishAsync(OutgoingMessage.FromText("x") with { Delay = TimeSpan.FromSeconds(1), NotBefore = DateTimeOffset.UtcNow }))).Reason);
        Assert.Equal("out_of_range", (await Assert.ThrowsAsync<InvalidArgumentException>(() =>
            publisher.PublishAsync(OutgoingMessage.FromText("x") with { Ttl = TimeSpan.Zero }))).Reason);
        Assert.Equal("too_long", (await Assert.ThrowsAsync<InvalidArgumentException>(() =>
            publisher.PublishUnconfirmedAsync(OutgoingMessage.FromText("x") with { ContentType = new string('c', 300) }).AsTask())).Reason);
        Assert.Empty(broker.ReceivedOf<Wire.Publish>());
    }

    [Fact(Timeout = 10_000)]
    public async Task Disposing_a_publisher_waits_for_the_confirmations_it_expects()
    {
        // The confirmation is withheld until the test releases it.
        ReceivedFrame? withheld = null;
        await using var broker = new FakeBroker();
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        broker.On<Wire.Publish>((f, _) => withheld = f);
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        var publisher = client.CreatePublisher("orders");
        var confirmation = await publisher.PublishWithConfirmationAsync(OutgoingMessage.FromText("x"));
        var disposing = publisher.DisposeAsync().AsTask();
        await Task.Delay(100);
        Assert.False(disposing.IsCompleted);
        withheld!.Reply(ScriptedReplies.PublishOk((0, 0)));
        await disposing;
        Assert.True(confirmation.IsCompleted);
    }

    /// <summary>A broker that does not list the queue and refuses a publish to it, as one does for a queue nobody
    /// declared.</summary>
    private static void AnswerAsForAQueueThatDoesNotExist(FakeBroker broker)
    {
        broker.Answer<Wire.TopologyRequest>(_ => ScriptedReplies.Topology());
        broker.Answer<Wire.Publish>(p => ScriptedReplies.Error(ErrorCode.NotFound, false, $"queue {p.Topic} does not exist",
            new Dictionary<string, string> { ["topic"] = p.Topic }));
    }
}
