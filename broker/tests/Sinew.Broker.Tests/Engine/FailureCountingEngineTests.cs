// Deliveries and failures without sockets (specification section 8.5): which way a delivery ends counts a failure,
// the failure past max_retries dead-letters the message, every delivery carries both counts, and what the log
// records of deliveries (one record per commit for manual-ack deliveries, none for auto-ack ones).
using System.Text;
using Sinew.Broker.Queues;
using Sinew.Broker.Storage;
using Sinew.Broker.Tests.Support;

namespace Sinew.Broker.Tests.Engine;

public sealed class FailureCountingEngineTests : IDisposable
{
    private const long StartMs = 1_800_000_000_000;
    private static readonly QueueName Jobs = new("jobs", null);
    private static readonly QueueName Dead = new("jobs-dead", null);

    private readonly string _dataDir = TempDirectory.Create("engine-failures");
    private readonly EngineHarness _engine;

    public FailureCountingEngineTests()
    {
        _engine = EngineHarness.Open(_dataDir, StartMs);
    }

    public void Dispose()
    {
        _engine.Dispose();
        TempDirectory.Delete(_dataDir);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_first_delivery_carries_no_failures_and_the_queues_max_retries()
    {
        var queue = Declare(new QueueDeclaration(Partitions: 1, MaxRetries: 3));
        var session = Subscribe(queue);
        await PublishAsync(queue, "fresh");

        var delivery = await session.NextAsync();
        Assert.Equal((1, 0, 3u), (delivery.Attempt, delivery.Failures, delivery.MaxRetries));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_retry_counts_a_failure_and_the_redelivery_carries_it()
    {
        var queue = Declare(new QueueDeclaration(Partitions: 1, MaxRetries: 3));
        var session = Subscribe(queue);
        await PublishAsync(queue, "flaky");

        Assert.Null(session.Nack(await session.NextAsync(), requeue: true));
        var second = await session.NextAsync();
        Assert.Null(session.Nack(second, requeue: true));
        var third = await session.NextAsync();

        Assert.Equal((2, 1), (second.Attempt, second.Failures));
        Assert.Equal((3, 2, 3u), (third.Attempt, third.Failures, third.MaxRetries));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_delayed_retry_counts_a_failure()
    {
        var queue = Declare(new QueueDeclaration(Partitions: 1));
        var partition = queue.Partitions[0];
        var session = Subscribe(queue);
        await PublishAsync(queue, "later");

        Assert.Null(session.Nack(await session.NextAsync(), requeue: true, notBeforeMs: StartMs + 10_000));
        _engine.Clock.NowMs = StartMs + 10_000;
        partition.OnTimer();
        var second = await session.NextAsync();

        Assert.Equal((2, 1), (second.Attempt, second.Failures));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_lease_that_runs_out_counts_a_failure()
    {
        var queue = Declare(new QueueDeclaration(Partitions: 1, LeaseMs: 1_000));
        var partition = queue.Partitions[0];
        var session = Subscribe(queue);
        await PublishAsync(queue, "slow");

        await session.NextAsync();
        _engine.Clock.NowMs = StartMs + 1_000;
        partition.OnTimer();
        var second = await session.NextAsync();

        Assert.Equal((2, 1), (second.Attempt, second.Failures));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_return_of_a_delivery_the_application_held_counts_a_failure_and_one_it_never_saw_does_not()
    {
        var queue = Declare(new QueueDeclaration(Partitions: 1));
        var session = Subscribe(queue, prefetch: 2);
        await PublishAsync(queue, "held");
        await PublishAsync(queue, "prefetched");
        var held = await session.NextAsync();
        var prefetched = await session.NextAsync();

        session.Return(held, countsFailure: true);
        session.Return(prefetched, countsFailure: false);
        var again = new[] { await session.NextAsync(), await session.NextAsync() }.OrderBy(d => d.Offset).ToList();

        Assert.Equal((held.Offset, 2, 1), (again[0].Offset, again[0].Attempt, again[0].Failures));
        Assert.Equal((prefetched.Offset, 2, 0), (again[1].Offset, again[1].Attempt, again[1].Failures));
    }

    [Fact(Timeout = 30_000)]
    public async Task Returns_that_count_no_failure_never_dead_letter_however_many_there_are()
    {
        var queue = Declare(new QueueDeclaration(Partitions: 1, MaxRetries: 0));
        var session = Subscribe(queue);
        await PublishAsync(queue, "bounced");

        for (var attempt = 1; attempt <= 5; attempt++)
        {
            var delivery = await session.NextAsync();
            Assert.Equal((attempt, 0), (delivery.Attempt, delivery.Failures));
            session.Return(delivery, countsFailure: false);
        }

        Assert.Equal(6, (await session.NextAsync()).Attempt);
    }

    [Fact(Timeout = 30_000)]
    public async Task The_failure_that_takes_a_message_past_max_retries_dead_letters_it_with_both_counts()
    {
        var queue = DeclareWithDeadLetterQueue(new QueueDeclaration(Partitions: 1, MaxRetries: 1));
        var session = Subscribe(queue);
        await PublishAsync(queue, "poison");

        // A return that spends nothing, a failure (the message is then on its last attempt), a second failure.
        session.Return(await session.NextAsync(), countsFailure: false);
        var second = await session.NextAsync();
        Assert.Equal((2, 0), (second.Attempt, second.Failures));
        session.Return(second, countsFailure: true);
        var last = await session.NextAsync();
        Assert.Equal((3, 1, 1u), (last.Attempt, last.Failures, last.MaxRetries));
        Assert.Null(session.Nack(last, requeue: true, reason: "still broken"));

        var copy = await DeadLetteredCopyAsync(queue);
        var headers = copy.Body.Headers!;
        Assert.Equal("retries_exhausted", headers["sinew.dlq.reason"]);
        Assert.Equal("3", headers["sinew.dlq.attempts"]);
        Assert.Equal("2", headers["sinew.dlq.failures"]);
        Assert.Equal("still broken", headers["sinew.dlq.error"]);
        Assert.True(await session.NothingWithinAsync(TimeSpan.FromMilliseconds(100)));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_return_that_exhausts_the_retries_dead_letters_the_message()
    {
        var queue = DeclareWithDeadLetterQueue(new QueueDeclaration(Partitions: 1, MaxRetries: 0));
        var session = Subscribe(queue);
        await PublishAsync(queue, "crashes its consumer");

        session.Return(await session.NextAsync(), countsFailure: true);

        var copy = await DeadLetteredCopyAsync(queue);
        Assert.Equal(("retries_exhausted", "1", "1"),
            (copy.Body.Headers!["sinew.dlq.reason"], copy.Body.Headers["sinew.dlq.attempts"], copy.Body.Headers["sinew.dlq.failures"]));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_terminal_nack_copy_carries_the_failures_counted_before_it()
    {
        var queue = DeclareWithDeadLetterQueue(new QueueDeclaration(Partitions: 1));
        var session = Subscribe(queue);
        await PublishAsync(queue, "bad order");

        Assert.Null(session.Nack(await session.NextAsync(), requeue: true));
        Assert.Null(session.Nack(await session.NextAsync(), requeue: false, reason: "missing field sku"));

        var headers = (await DeadLetteredCopyAsync(queue)).Body.Headers!;
        Assert.Equal(("terminal_nack", "2", "1"), (headers["sinew.dlq.reason"], headers["sinew.dlq.attempts"], headers["sinew.dlq.failures"]));
    }

    [Fact(Timeout = 30_000)]
    public async Task Manual_ack_deliveries_made_between_two_commits_share_one_log_record()
    {
        var queue = Declare(new QueueDeclaration(Partitions: 1));
        var partition = queue.Partitions[0];
        for (var i = 0; i < 10; i++)
        {
            await PublishAsync(queue, $"m{i}");
        }

        var before = partition.Log.AppendedEnd;
        var session = Subscribe(queue, prefetch: 10);
        for (var i = 0; i < 10; i++)
        {
            await session.NextAsync();
        }

        partition.FlushNow();
        Assert.Equal(before + RecordFraming.HeaderSize + Records.DeliveredSize(10), partition.Log.AppendedEnd);
        Assert.Equal(partition.Log.AppendedEnd, partition.DurableEnd);
    }

    [Fact(Timeout = 30_000)]
    public async Task Auto_ack_deliveries_add_no_delivery_record_to_the_log()
    {
        var queue = Declare(new QueueDeclaration(Partitions: 1));
        var partition = queue.Partitions[0];
        for (var i = 0; i < 10; i++)
        {
            await PublishAsync(queue, $"m{i}");
        }

        var before = partition.Log.AppendedEnd;
        var session = Subscribe(queue, prefetch: 10, policy: AckPolicy.Auto);
        for (var i = 0; i < 10; i++)
        {
            await session.NextAsync();
        }

        partition.FlushNow();
        Assert.Equal(before, partition.Log.AppendedEnd);

        // Written, they settle: the only record is their ack.
        session.WriteEverything();
        Assert.Equal(before + RecordFraming.HeaderSize + Records.AckSize(10), partition.Log.AppendedEnd);
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private Queue Declare(QueueDeclaration declaration) => Declare(Jobs, declaration with { DeadLetter = declaration.DeadLetter ?? DeadLetterSettings.Discard });

    private Queue Declare(QueueName name, QueueDeclaration declaration) => _engine.Registry.Load(_engine.Registry.Declare(name, declaration).Slot);

    private Queue DeclareWithDeadLetterQueue(QueueDeclaration declaration)
    {
        Declare(Dead, new QueueDeclaration(Partitions: 1, DeadLetter: DeadLetterSettings.Discard));
        return Declare(Jobs, declaration with { DeadLetter = new DeadLetterSettings(DeadLetterDestination.Queue, Dead.Topic) });
    }

    private static RecordingSession Subscribe(Queue queue, int prefetch = 1, AckPolicy policy = AckPolicy.Manual)
    {
        var session = new RecordingSession();
        var subscription = new ServerSubscription(1, session, queue, queue.Partitions, policy, prefetch);
        foreach (var partition in queue.Partitions)
        {
            partition.Attach(subscription);
        }

        return session;
    }

    private async Task PublishAsync(Queue queue, string text)
    {
        var result = queue.Publish(new IncomingMessage(new MessageBody(Bytes(text), null, null)), _engine.Clock.NowMs);
        await result.Partition.WhenDurableAsync(result.LsnEnd);
    }

    /// <summary>The copy in the dead-letter queue, once the original has left <paramref name="source"/> (which
    /// happens only when the copy is durable).</summary>
    private async Task<Delivery> DeadLetteredCopyAsync(Queue source)
    {
        Assert.True(await EngineHarness.EventuallyAsync(() => source.Partitions[0].Stats.Unsettled == 0),
            $"the original is still in its queue: {source.Partitions[0].Stats}; log: {string.Join(" | ", _engine.Log.Entries)}");
        return await Subscribe(_engine.Registry.Get(Dead)).NextAsync();
    }
}
