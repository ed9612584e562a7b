// What InvalidArgumentException says for each misuse: the argument as written in C# and the reason word every Sinew
// client uses for the same misuse (the TypeScript and Python suites pin the same table in their own casing). The fake
// announces small limits (a 4 KiB frame, two messages a batch, two headers) and shows that nothing refused was sent;
// misused settlements of deliveries from the real broker are in Broker/ArgumentErrorsOnRealBrokerTests.cs.
using Sinew.Client.Tests.Fakes;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Engine;

public class ArgumentErrorTests
{
    private const int MaxFrameBytes = 4096;

    [Fact(Timeout = 10_000)]
    public async Task Names_headers_and_message_fields_are_refused_with_the_shared_reasons()
    {
        await using var fixture = await Fixture.StartAsync();
        var client = fixture.Client;
        var publisher = client.CreatePublisher("orders");
        var text = OutgoingMessage.FromText("x");

        Assert.Equal(("topic", "whitespace"), await Refusal(() => client.DeclareQueueAsync("my orders")));
        Assert.Equal(("topic", "wrong_type"), await Refusal(() => client.DeclareQueueAsync(null!)));
        Assert.Equal(("Group", "reserved_character"), await Refusal(() => client.SubscribeAsync("orders", new SubscribeOptions { Group = "a/b" })));
        Assert.Equal(("DeadLetter.Topic", "whitespace"), await Refusal(() => Task.FromResult(DeadLetterPolicy.ToQueue("bad topic"))));
        Assert.Equal(("ProducerId", "too_long"), await Refusal(() =>
            Task.FromResult(client.CreateReliablePublisher("orders", new ReliablePublisherOptions { ProducerId = new string('p', 65) }))));

        Assert.Equal(("Headers", "reserved_prefix"), await Refusal(() => publisher.PublishAsync(text.WithHeader("sinew.retry", "1"))));
        Assert.Equal(("Headers", "empty"), await Refusal(() => publisher.PublishAsync(text.WithHeader("", "v"))));
        Assert.Equal(("Headers", "too_long"), await Refusal(() => publisher.PublishAsync(text.WithHeader("k", new string('v', 4097)))));
        Assert.Equal(("Headers", "wrong_type"), await Refusal(() =>
            publisher.PublishAsync(text with { Headers = new Dictionary<string, string> { ["k"] = null! } })));
        Assert.Equal(("Headers", "too_many"), await Refusal(() =>
            publisher.PublishAsync(text.WithHeader("a", "1").WithHeader("b", "2").WithHeader("c", "3"))));
        Assert.Equal(("ContentType", "too_long"), await Refusal(() => publisher.PublishAsync(text with { ContentType = new string('c', 256) })));
        Assert.Equal(("Delay", "conflicting_options"), await Refusal(() =>
            publisher.PublishAsync(text with { Delay = TimeSpan.FromSeconds(1), NotBefore = DateTimeOffset.UtcNow })));
        Assert.Equal(("Delay", "out_of_range"), await Refusal(() => publisher.PublishAsync(text with { Delay = TimeSpan.FromSeconds(-1) })));
        Assert.Equal(("Ttl", "out_of_range"), await Refusal(() => publisher.PublishAsync(text with { Ttl = TimeSpan.Zero })));
        Assert.Equal(("NotBefore", "out_of_range"), await Refusal(() =>
            publisher.PublishAsync(text with { NotBefore = DateTimeOffset.UnixEpoch.AddSeconds(-1) })));
        Assert.Equal(("Payload", "frame_too_large"), await Refusal(() => publisher.PublishAsync(new OutgoingMessage(new byte[MaxFrameBytes]))));
        Assert.Equal(("messages", "too_many"), await Refusal(() => publisher.PublishBatchAsync([text, text, text])));

        Assert.Equal(("Payload", "invalid_unicode"), await Refusal(() => Task.FromResult(OutgoingMessage.FromText("\ud800"))));
        Assert.Equal(("key", "invalid_unicode"), await Refusal(() => Task.FromResult(text.WithKey("\udc00"))));
        var cycle = new Node();
        cycle.Next = cycle;
        Assert.Equal(("Payload", "not_json"), await Refusal(() => Task.FromResult(OutgoingMessage.FromJson(cycle))));
        Assert.Equal(("Payload", "not_msgpack"), await Refusal(() => Task.FromResult(OutgoingMessage.FromMessagePack(new Node()))));
        Assert.Empty(fixture.Broker.ReceivedOf<Wire.Publish>());
    }

    [Fact(Timeout = 10_000)]
    public async Task Queue_and_subscription_options_are_refused_with_the_shared_reasons()
    {
        await using var fixture = await Fixture.StartAsync();
        var client = fixture.Client;
        Assert.Equal(("Partitions", "out_of_range"), await Refusal(() => client.DeclareQueueAsync("other", new QueueOptions { Partitions = 0 })));
        Assert.Equal(("Prefetch", "out_of_range"), await Refusal(() => client.SubscribeAsync("orders", new SubscribeOptions { Prefetch = 0 })));
        Assert.Equal(("Prefetch", "out_of_range"), await Refusal(() => client.SubscribeAsync("orders", new SubscribeOptions { Prefetch = 1001 })));
        Assert.Equal(("Partition", "out_of_range"), await Refusal(() => client.SubscribeAsync("orders", new SubscribeOptions { Partition = 2 })));
        Assert.Equal(("AckMode", "wrong_type"), await Refusal(() => client.SubscribeAsync("orders", new SubscribeOptions { AckMode = (AckMode)7 })));
        Assert.Empty(fixture.Broker.ReceivedOf<Wire.Subscribe>());
    }

    [Fact(Timeout = 10_000)]
    public async Task Durations_past_the_protocol_ranges_are_refused_with_the_shared_reasons()
    {
        await using var fixture = await Fixture.StartAsync();
        var client = fixture.Client;
        var publisher = client.CreatePublisher("orders");
        var text = OutgoingMessage.FromText("x");
        var tooLong = TimeSpan.FromDays(3650) + TimeSpan.FromMilliseconds(1);

        Assert.Equal(("Ttl", "out_of_range"), await Refusal(() => publisher.PublishAsync(text with { Ttl = tooLong })));
        Assert.Equal(("Ttl", "out_of_range"), await Refusal(() => publisher.PublishAsync(text with { Ttl = TimeSpan.MaxValue })));
        Assert.Equal(("Delay", "out_of_range"), await Refusal(() => publisher.PublishAsync(text with { Delay = tooLong })));
        Assert.Equal(("NotBefore", "out_of_range"), await Refusal(() =>
            publisher.PublishAsync(text with { NotBefore = DateTimeOffset.UtcNow.AddDays(3651) })));
        Assert.Equal(("NotBefore", "out_of_range"), await Refusal(() => publisher.PublishAsync(text with { NotBefore = DateTimeOffset.MaxValue })));
        Assert.Equal(("Ttl", "out_of_range"), await Refusal(() =>
            Task.FromResult(client.CreatePublisher("orders", new PublisherOptions { Ttl = tooLong }))));
        Assert.Equal(("Delay", "out_of_range"), await Refusal(() =>
            Task.FromResult(client.CreateReliablePublisher("orders", new ReliablePublisherOptions { Delay = tooLong }))));
        Assert.Empty(fixture.Broker.ReceivedOf<Wire.Publish>());

        Assert.Equal(("DefaultTtl", "out_of_range"), await Refusal(() => client.DeclareQueueAsync("other", new QueueOptions { DefaultTtl = tooLong })));
        Assert.Equal(("Lease", "out_of_range"), await Refusal(() =>
            client.DeclareQueueAsync("other", new QueueOptions { Lease = TimeSpan.FromHours(12) + TimeSpan.FromMilliseconds(1) })));
        Assert.Equal(("Lease", "out_of_range"), await Refusal(() =>
            client.DeclareQueueAsync("other", new QueueOptions { Lease = TimeSpan.FromMilliseconds(99) })));
        Assert.DoesNotContain(fixture.Broker.ReceivedOf<Wire.DeclareQueue>(), d => d.Topic == "other");

        await using var subscription = await client.SubscribeAsync("orders");
        fixture.Broker.Connections[0].Send(ScriptedReplies.Deliver(ScriptedReplies.SubscriptionOf(0), ScriptedReplies.Message(1, "x")));
        var delivery = (await TestClients.TakeAsync(subscription, 1))[0];
        Assert.Equal(("delay", "out_of_range"), await Refusal(() => delivery.RetryAfterAsync(tooLong)));
        Assert.Equal(("by", "out_of_range"), await Refusal(() => delivery.ExtendLeaseAsync(TimeSpan.FromHours(12) + TimeSpan.FromMilliseconds(1))));
        Assert.Empty(fixture.Broker.ReceivedOf<Wire.Nack>());
        Assert.Empty(fixture.Broker.ReceivedOf<Wire.ExtendLease>());
        await delivery.AckAsync();
    }

    [Fact(Timeout = 10_000)]
    public async Task Client_options_are_refused_with_the_first_problems_argument_and_reason()
    {
        Assert.Equal(("Endpoints", "invalid_endpoint"), Options(o => o.Endpoints = ["broker:99999"]));
        Assert.Equal(("Endpoints", "empty"), Options(o => o.Endpoints = []));
        Assert.Equal(("RequestTimeout", "out_of_range"), Options(o => o.RequestTimeout = TimeSpan.Zero));
        Assert.Equal(("Heartbeat", "out_of_range"), Options(o => o.Heartbeat = TimeSpan.FromMinutes(5) + TimeSpan.FromMilliseconds(1)));
        Assert.Equal(("Reconnect.MaxDelay", "out_of_range"), Options(o =>
            o.Reconnect = new ReconnectPolicy { InitialDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromMilliseconds(500) }));
        Assert.Equal(("Reconnect.Jitter", "wrong_type"), Options(o => o.Reconnect = new ReconnectPolicy { Jitter = double.NaN }));
        await Task.CompletedTask;
    }

    private static (string?, string?) Options(Action<SinewClientOptions> configure)
    {
        var options = new SinewClientOptions();
        configure(options);
        var error = Assert.Throws<InvalidArgumentException>(() => new SinewClient(options));
        return (error.Argument, error.Reason);
    }

    /// <summary>The argument and reason of the refusal, whether thrown at the call or by the task.</summary>
    internal static async Task<(string?, string?)> Refusal(Func<Task> call)
    {
        Task task;
        try
        {
            task = call();
        }
        catch (InvalidArgumentException e)
        {
            return (e.Argument, e.Reason);
        }

        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => task);
        return (error.Argument, error.Reason);
    }

    /// <summary>Neither JSON (it can refer to itself) nor MessagePack (it carries no MessagePack attributes) can
    /// write it.</summary>
    internal sealed class Node
    {
        public Node? Next { get; set; }
    }

    private sealed class Fixture : IAsyncDisposable
    {
        private Fixture(FakeBroker broker, SinewClient client)
        {
            Broker = broker;
            Client = client;
        }

        public FakeBroker Broker { get; }

        public SinewClient Client { get; }

        public static async Task<Fixture> StartAsync()
        {
            var broker = new FakeBroker { AnswerHello = ScriptedReplies.HelloOk(limits: new Wire.Limits(MaxFrameBytes, 2, 2, 1000)) };
            broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
            broker.Answer<Wire.Subscribe>(ScriptedReplies.SubscribeOk);
            broker.Answer<Wire.Unsubscribe>(_ => Wire.Ok.Instance);
            broker.Answer<Wire.Ack>(_ => ScriptedReplies.SettleOk());
            var client = await TestClients.ConnectAsync(broker);
            await client.DeclareQueueAsync("orders", new QueueOptions { Partitions = 2 });
            await client.DeclareQueueAsync("audit");
            return new Fixture(broker, client);
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Broker.DisposeAsync();
        }
    }
}
