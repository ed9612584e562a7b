// A message's way through the engine without sockets, in the engine's own types: published, made durable,
// delivered, then acked, nacked, left to its lease or its TTL, and dead-lettered. The clock is the test's;
// deadlines are handled by calling the partition's timer entry point once the clock has moved.
using System.Text;
using Sinew.Broker.Queues;
using Sinew.Broker.Storage;
using Sinew.Broker.Tests.Support;

namespace Sinew.Broker.Tests.Engine;

public sealed class DeliveryEngineTests : IDisposable
{
    private const long StartMs = 1_800_000_000_000;
    private static readonly QueueName Jobs = new("jobs", null);
    private static readonly QueueName Dead = new("jobs-dead", null);

    private readonly string _dataDir = TempDirectory.Create("engine-delivery");
    private readonly EngineHarness _engine;

    public DeliveryEngineTests()
    {
        _engine = EngineHarness.Open(_dataDir, StartMs);
    }

    public void Dispose()
    {
        _engine.Dispose();
        TempDirectory.Delete(_dataDir);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_published_message_is_delivered_once_durable_with_its_body_shared_and_an_ack_settles_it()
    {
        var queue = Declare(Jobs, new QueueDeclaration(Partitions: 1));
        var session = new RecordingSession();
        Subscribe(queue, session);
        var body = new MessageBody(Bytes("hello"), "text/plain", new Dictionary<string, string> { ["tenant"] = "acme" });

        var published = await PublishAsync(queue, new IncomingMessage(body));
        var delivery = await session.NextAsync();

        Assert.Equal((0u, published.Offset, 1, StartMs), (delivery.Partition, delivery.Offset, delivery.Attempt, delivery.PublishedAtMs));
        Assert.Same(body, delivery.Body);
        var partition = queue.Partitions[0];
        var lsnEnd = session.Ack(delivery);
        Assert.True(lsnEnd >= 0, $"the ack was refused ({lsnEnd})");
        await partition.WhenDurableAsync(lsnEnd);
        Assert.Equal((0, 0), (partition.Stats.Unsettled, partition.Stats.Inflight));
        Assert.Equal(-1, partition.AckOne(delivery.Offset, delivery.DeliveryId));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_requeueing_nack_redelivers_the_message_as_its_next_attempt()
    {
        var queue = Declare(Jobs, new QueueDeclaration(Partitions: 1));
        var session = new RecordingSession();
        Subscribe(queue, session);
        await PublishAsync(queue, Message("flaky"));

        var first = await session.NextAsync();
        Assert.Null(session.Nack(first, requeue: true));
        var second = await session.NextAsync();

        Assert.Equal((first.Offset, 2), (second.Offset, second.Attempt));
        Assert.NotEqual(first.DeliveryId, second.DeliveryId);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_delayed_retry_stays_delayed_until_the_clock_reaches_its_time()
    {
        var queue = Declare(Jobs, new QueueDeclaration(Partitions: 1));
        var partition = queue.Partitions[0];
        var session = new RecordingSession();
        Subscribe(queue, session);
        await PublishAsync(queue, Message("later"));

        var first = await session.NextAsync();
        Assert.Null(session.Nack(first, requeue: true, notBeforeMs: StartMs + 10_000));
        _engine.Clock.NowMs = StartMs + 9_999;
        partition.OnTimer();
        Assert.True(await session.NothingWithinAsync(TimeSpan.FromMilliseconds(200)));
        Assert.Equal((1, 0), (partition.Stats.Delayed, partition.Stats.Ready));

        _engine.Clock.NowMs = StartMs + 10_000;
        partition.OnTimer();
        var second = await session.NextAsync();
        Assert.Equal((first.Offset, 2), (second.Offset, second.Attempt));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_terminal_nack_moves_the_message_to_its_dead_letter_queue_with_the_reason_and_where_it_came_from()
    {
        var queue = DeclareWithDeadLetterQueue(new QueueDeclaration(Partitions: 1));
        var session = new RecordingSession();
        Subscribe(queue, session);
        await PublishAsync(queue, new IncomingMessage(new MessageBody(Bytes("bad order"), null, new Dictionary<string, string> { ["tenant"] = "acme" })));

        var delivery = await session.NextAsync();
        _engine.Clock.NowMs = StartMs + 42;
        Assert.Null(session.Nack(delivery, requeue: false, reason: "missing field sku"));

        var copy = await DeadLetteredCopyAsync(queue);
        Assert.Equal("bad order", Encoding.UTF8.GetString(copy.Body.Payload.Span));
        var headers = copy.Body.Headers!;
        Assert.Equal("acme", headers["tenant"]);
        Assert.Equal("terminal_nack", headers["sinew.dlq.reason"]);
        Assert.Equal("jobs", headers["sinew.dlq.source_topic"]);
        Assert.Equal("0", headers["sinew.dlq.source_partition"]);
        Assert.Equal(delivery.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture), headers["sinew.dlq.source_offset"]);
        Assert.Equal("1", headers["sinew.dlq.attempts"]);
        Assert.Equal("missing field sku", headers["sinew.dlq.error"]);
        Assert.Equal((StartMs + 42).ToString(System.Globalization.CultureInfo.InvariantCulture), headers["sinew.dlq.dead_lettered_at_ms"]);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_delivery_whose_lease_expires_is_redelivered_and_past_max_retries_is_dead_lettered_as_retries_exhausted()
    {
        var queue = DeclareWithDeadLetterQueue(new QueueDeclaration(Partitions: 1, MaxRetries: 1, LeaseMs: 1_000));
        var partition = queue.Partitions[0];
        var session = new RecordingSession();
        Subscribe(queue, session);
        await PublishAsync(queue, Message("slow"));

        var first = await session.NextAsync();
        _engine.Clock.NowMs = StartMs + 1_000;
        partition.OnTimer();
        var second = await session.NextAsync();
        Assert.Equal((first.Offset, 2), (second.Offset, second.Attempt));
        Assert.False(session.Held.ContainsKey(first.DeliveryId), "the session still holds the expired delivery");
        Assert.Equal(-1, partition.AckOne(first.Offset, first.DeliveryId));

        _engine.Clock.NowMs = StartMs + 2_000;
        partition.OnTimer();
        var copy = await DeadLetteredCopyAsync(queue);
        Assert.Equal("retries_exhausted", copy.Body.Headers!["sinew.dlq.reason"]);
        Assert.Equal("2", copy.Body.Headers["sinew.dlq.attempts"]);
        Assert.True(await session.NothingWithinAsync(TimeSpan.FromMilliseconds(100)));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_message_past_its_ttl_is_dead_lettered_as_expired_instead_of_delivered()
    {
        var queue = DeclareWithDeadLetterQueue(new QueueDeclaration(Partitions: 1));
        await PublishAsync(queue, Message("stale news") with { TtlMs = 5_000 });

        _engine.Clock.NowMs = StartMs + 5_000;
        queue.Partitions[0].OnTimer();
        var copy = await DeadLetteredCopyAsync(queue);
        Assert.Equal("expired", copy.Body.Headers!["sinew.dlq.reason"]);

        var session = new RecordingSession();
        Subscribe(queue, session);
        Assert.True(await session.NothingWithinAsync(TimeSpan.FromMilliseconds(100)));
    }

    [Fact(Timeout = 30_000)]
    public async Task Auto_ack_deliveries_stay_unsettled_until_written_and_then_settle()
    {
        var queue = Declare(Jobs, new QueueDeclaration(Partitions: 1));
        var partition = queue.Partitions[0];
        var session = new RecordingSession();
        Subscribe(queue, session, AckPolicy.Auto);
        await PublishAsync(queue, Message("event"));

        var delivery = await session.NextAsync();
        Assert.Equal((1, 1), (partition.Stats.Unsettled, partition.Stats.Inflight));
        session.WriteEverything();
        Assert.Equal((0, 0), (partition.Stats.Unsettled, partition.Stats.Inflight));
        Assert.Equal(-1, partition.AckOne(delivery.Offset, delivery.DeliveryId));
    }

    [Fact(Timeout = 30_000)]
    public async Task Prefetch_bounds_the_unsettled_deliveries_and_an_ack_lets_the_next_one_through()
    {
        var queue = Declare(Jobs, new QueueDeclaration(Partitions: 1));
        var session = new RecordingSession();
        Subscribe(queue, session, prefetch: 2);
        for (var i = 0; i < 3; i++)
        {
            await PublishAsync(queue, Message($"job {i}"));
        }

        var first = await session.NextAsync();
        await session.NextAsync();
        Assert.True(await session.NothingWithinAsync(TimeSpan.FromMilliseconds(200)));

        Assert.True(session.Ack(first) >= 0);
        var third = await session.NextAsync();
        Assert.Equal(2, third.Offset);
    }

    [Fact(Timeout = 30_000)]
    public async Task Detaching_a_subscription_returns_only_once_the_deliveries_made_to_it_are_handed_to_its_session()
    {
        var queue = Declare(Jobs, new QueueDeclaration(Partitions: 1));
        var partition = queue.Partitions[0];
        using var sending = new ManualResetEventSlim();
        using var letGo = new ManualResetEventSlim();
        var session = new RecordingSession
        {
            OnSend = () =>
            {
                sending.Set();
                letGo.Wait(TimeSpan.FromSeconds(10));
            },
        };
        var subscription = Subscribe(queue, session);
        queue.Publish(Message("in flight"), StartMs);
        Assert.True(sending.Wait(TimeSpan.FromSeconds(5)), "nothing was sent");

        var detach = Task.Run(() => partition.Detach(subscription));
        await Task.WhenAny(detach, Task.Delay(200));
        Assert.False(detach.IsCompleted, "Detach returned while a delivery to the subscription was being sent");
        letGo.Set();
        await detach.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(session.TryNext(out var delivery), "Detach returned before the delivery reached the session");
        Assert.Equal("in flight", Encoding.UTF8.GetString(delivery.Body.Payload.Span));
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static IncomingMessage Message(string text) => new(new MessageBody(Bytes(text), null, null));

    private Queue Declare(QueueName name, QueueDeclaration declaration) => _engine.Registry.Load(_engine.Registry.Declare(name, declaration).Slot);

    private Queue DeclareWithDeadLetterQueue(QueueDeclaration declaration)
    {
        Declare(Dead, new QueueDeclaration(Partitions: 1, DeadLetter: DeadLetterSettings.Discard));
        return Declare(Jobs, declaration with { DeadLetter = new DeadLetterSettings(DeadLetterDestination.Queue, Dead.Topic) });
    }

    private static ServerSubscription Subscribe(Queue queue, RecordingSession session, AckPolicy policy = AckPolicy.Manual, int prefetch = 10)
    {
        var subscription = new ServerSubscription(1, session, queue, queue.Partitions, policy, prefetch);
        foreach (var partition in queue.Partitions)
        {
            partition.Attach(subscription);
        }

        return subscription;
    }

    private async Task<QueuePublishResult> PublishAsync(Queue queue, IncomingMessage message)
    {
        var result = queue.Publish(message, _engine.Clock.NowMs);
        await result.Partition.WhenDurableAsync(result.LsnEnd);
        return result;
    }

    /// <summary>The copy in the dead-letter queue, once the original has left <paramref name="source"/> (which
    /// happens only when the copy is durable).</summary>
    private async Task<Delivery> DeadLetteredCopyAsync(Queue source)
    {
        Assert.True(await EngineHarness.EventuallyAsync(() => source.Partitions[0].Stats.Unsettled == 0),
            $"the original is still in its queue: {source.Partitions[0].Stats}; log: {string.Join(" | ", _engine.Log.Entries)}");
        var session = new RecordingSession();
        Subscribe(_engine.Registry.Get(Dead), session);
        return await session.NextAsync();
    }
}
