// A backlog deeper than the index window, without sockets: only a window of fresh messages is held in memory and
// the rest is read back from the log as it drains, yet delivery order, attempt numbers, delays, TTLs, settlement,
// snapshots and recovery behave as with everything indexed. The window is a few messages here, so every test
// crosses its edge many times.
using System.Text;
using Sinew.Broker.Queues;
using Sinew.Broker.Storage;
using Sinew.Broker.Tests.Support;

namespace Sinew.Broker.Tests.Engine;

public sealed class IndexWindowEngineTests : IDisposable
{
    private const long StartMs = 1_800_000_000_000;
    private const int Window = 4;
    private static readonly QueueName Jobs = new("jobs", null);
    private static readonly QueueName Dead = new("jobs-dead", null);

    private readonly List<string> _directories = [];

    public void Dispose()
    {
        foreach (var directory in _directories)
        {
            TempDirectory.Delete(directory);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_backlog_deeper_than_the_window_is_held_to_the_window_and_delivered_in_order_as_first_attempts()
    {
        using var engine = Open(NewDirectory());
        var queue = Declare(engine);
        var partition = queue.Partitions[0];
        await PublishAsync(engine, queue, 50);
        Assert.Equal((50, 50, Window), (partition.Stats.Unsettled, partition.Stats.Ready, partition.Stats.Indexed));

        var session = new RecordingSession();
        Subscribe(queue, session, prefetch: 3);
        for (var offset = 0; offset < 50; offset++)
        {
            var delivery = await session.NextAsync();
            Assert.Equal((offset, 1), ((int)delivery.Offset, delivery.Attempt));
            Assert.Equal($"m{offset}", Text(delivery));
            Assert.True(partition.Stats.Indexed <= Window + 3, $"{partition.Stats} holds more than the window and the prefetch");
            await partition.WhenDurableAsync(session.Ack(delivery));
        }

        Assert.Equal((0, 0), (partition.Stats.Unsettled, partition.Stats.Indexed));
    }

    [Fact(Timeout = 60_000)]
    public async Task Retries_across_the_window_edge_keep_their_attempts_and_go_ahead_of_the_unread_backlog()
    {
        using var engine = Open(NewDirectory());
        var queue = Declare(engine);
        var partition = queue.Partitions[0];
        await PublishAsync(engine, queue, 20);
        var session = new RecordingSession();
        Subscribe(queue, session, prefetch: 1);

        var first = await session.NextAsync();
        Assert.Null(session.Nack(first, requeue: true));
        var again = await session.NextAsync();
        Assert.Equal((0L, 2), (again.Offset, again.Attempt));
        Assert.Null(session.Nack(again, requeue: true, notBeforeMs: StartMs + 5_000));

        // While offset 0 waits for its retry time, the backlog goes on, read back from the log.
        for (var offset = 1; offset < 12; offset++)
        {
            var delivery = await session.NextAsync();
            Assert.Equal((offset, 1), ((int)delivery.Offset, delivery.Attempt));
            await partition.WhenDurableAsync(session.Ack(delivery));
        }

        // Offset 12 is held; the retry comes due and goes ahead of offsets 13 to 19, still in the log.
        var twelve = await session.NextAsync();
        Assert.Equal(12L, twelve.Offset);
        engine.Clock.NowMs = StartMs + 5_000;
        partition.OnTimer();
        await partition.WhenDurableAsync(session.Ack(twelve));
        var retried = await session.NextAsync();
        Assert.Equal((0L, 3), (retried.Offset, retried.Attempt));
        await partition.WhenDurableAsync(session.Ack(retried));
        for (var offset = 13; offset < 20; offset++)
        {
            var delivery = await session.NextAsync();
            Assert.Equal((offset, 1), ((int)delivery.Offset, delivery.Attempt));
            await partition.WhenDurableAsync(session.Ack(delivery));
        }

        Assert.Equal(0, partition.Stats.Unsettled);
    }

    [Fact(Timeout = 60_000)]
    public async Task Delayed_and_expiring_messages_past_the_window_keep_their_times_and_expire_when_they_reach_the_head()
    {
        var dataDir = NewDirectory();
        using var engine = Open(dataDir);
        Declare(engine, Dead, new QueueDeclaration(Partitions: 1, DeadLetter: DeadLetterSettings.Discard));
        var queue = Declare(engine, Jobs, new QueueDeclaration(Partitions: 1, DeadLetter: new DeadLetterSettings(DeadLetterDestination.Queue, Dead.Topic)));
        var partition = queue.Partitions[0];
        await PublishAsync(engine, queue, 6);
        await PublishAsync(engine, queue, Message("later") with { NotBeforeMs = StartMs + 10_000 });
        await PublishAsync(engine, queue, Message("short-lived") with { TtlMs = 5_000 });
        await PublishAsync(engine, queue, Message("m8"));

        // The TTL passes while the message is still in the log: it is not expired yet, and still counted.
        engine.Clock.NowMs = StartMs + 6_000;
        partition.OnTimer();
        Assert.Equal((9, Window), (partition.Stats.Unsettled, partition.Stats.Indexed));

        var session = new RecordingSession();
        Subscribe(queue, session, prefetch: 1);
        var received = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            var delivery = await session.NextAsync();
            received.Add(Text(delivery));
            await partition.WhenDurableAsync(session.Ack(delivery));
        }

        Assert.Equal(["m0", "m1", "m2", "m3", "m4", "m5", "m8"], received);
        var copy = await DeadLetteredCopyAsync(engine);
        Assert.Equal(("short-lived", "expired"), (Text(copy), copy.Body.Headers!["sinew.dlq.reason"]));
        Assert.Equal((1, 1), (partition.Stats.Unsettled, partition.Stats.Delayed));

        Assert.True(await session.NothingWithinAsync(TimeSpan.FromMilliseconds(200)));
        engine.Clock.NowMs = StartMs + 10_000;
        partition.OnTimer();
        var later = await session.NextAsync();
        Assert.Equal(("later", 6L, 1), (Text(later), later.Offset, later.Attempt));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_restart_from_a_snapshot_with_a_cursor_and_the_log_after_it_resumes_every_message_where_it_was()
    {
        var dataDir = NewDirectory();
        string crashed;
        using (var engine = Open(dataDir))
        {
            var queue = Declare(engine);
            var partition = queue.Partitions[0];
            await PublishAsync(engine, queue, 30);
            var session = new RecordingSession();
            Subscribe(queue, session, prefetch: 1);
            for (var offset = 0; offset < 6; offset++)
            {
                await partition.WhenDurableAsync(session.Ack(await session.NextAsync()));
            }

            // The snapshot holds the window and the cursor, not the 24 messages left.
            await partition.WriteSnapshotAsync(CancellationToken.None);

            // After it: acks, a retry and a delayed retry of messages that were past the snapshot's window.
            for (var offset = 6; offset < 14; offset++)
            {
                await partition.WhenDurableAsync(session.Ack(await session.NextAsync()));
            }

            var retried = await session.NextAsync();
            Assert.Equal(14L, retried.Offset);
            Assert.Null(session.Nack(retried, requeue: true, notBeforeMs: StartMs + 60_000));
            var held = await session.NextAsync();
            Assert.Equal(15L, held.Offset);
            await partition.WhenDurableAsync(partition.Log.AppendedEnd);

            // The commit that follows a delivery logs it: the held message comes back as its second attempt.
            partition.FlushNow();
            crashed = CopyOf(dataDir);
        }

        using var restarted = Open(crashed, StartMs + 1_000);
        var recovered = restarted.Registry.Get(Jobs).Partitions[0];
        var stats = recovered.Stats;
        Assert.Equal((16, 1), (stats.Unsettled, stats.Delayed));
        Assert.True(stats.Indexed <= Window + 1, $"{stats} indexes more than the window and the delayed retry");
        var consumer = new RecordingSession();
        Subscribe(restarted.Registry.Get(Jobs), consumer, prefetch: 1);
        for (var offset = 15; offset < 30; offset++)
        {
            var delivery = await consumer.NextAsync();
            Assert.Equal((offset, offset == 15 ? 2 : 1), ((int)delivery.Offset, delivery.Attempt));
            await recovered.WhenDurableAsync(consumer.Ack(delivery));
        }

        restarted.Clock.NowMs = StartMs + 60_000;
        recovered.OnTimer();
        var late = await consumer.NextAsync();
        Assert.Equal((14L, 2), (late.Offset, late.Attempt));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_crash_copy_taken_while_a_refill_reads_the_log_recovers_every_message_in_order()
    {
        var dataDir = NewDirectory();
        string crashed;
        using (var engine = Open(dataDir))
        using (var reading = new ManualResetEventSlim(false))
        using (var letGo = new ManualResetEventSlim(false))
        {
            var queue = Declare(engine);
            var partition = queue.Partitions[0];
            await PublishAsync(engine, queue, 40);
            await partition.WriteSnapshotAsync(CancellationToken.None);
            engine.Services.StorageFaults.Inject = (operation, _) =>
            {
                if (operation == StorageOperation.ReadBacklog)
                {
                    reading.Set();
                    letGo.Wait(TimeSpan.FromSeconds(20));
                }

                return null;
            };

            // Taking deliveries drains the window, which starts a refill; it stops in its read.
            var session = new RecordingSession();
            Subscribe(queue, session, prefetch: 2);
            await session.NextAsync();
            await session.NextAsync();
            Assert.True(reading.Wait(TimeSpan.FromSeconds(10)), "no refill started");

            // The commit that follows the two deliveries logs them: they come back as second attempts.
            partition.FlushNow();
            crashed = CopyOf(dataDir);
            letGo.Set();
            Assert.True(await EngineHarness.EventuallyAsync(() => partition.Stats.Indexed == Window + 2), $"{partition.Stats}");
        }

        using var restarted = Open(crashed, StartMs + 1_000);
        var recovered = restarted.Registry.Get(Jobs).Partitions[0];
        Assert.Equal(40, recovered.Stats.Unsettled);
        var consumer = new RecordingSession();
        Subscribe(restarted.Registry.Get(Jobs), consumer, prefetch: 2);
        for (var offset = 0; offset < 40; offset++)
        {
            var delivery = await consumer.NextAsync();
            Assert.Equal((offset, offset < 2 ? 2 : 1, $"m{offset}"), ((int)delivery.Offset, delivery.Attempt, Text(delivery)));
            await recovered.WhenDurableAsync(consumer.Ack(delivery));
        }

        Assert.Equal(0, recovered.Stats.Unsettled);
    }

    [Fact(Timeout = 120_000)]
    public async Task Recovering_a_deep_backlog_indexes_only_the_window_with_or_without_a_snapshot()
    {
        const int count = 3000;
        var dataDir = NewDirectory();
        string withoutSnapshot;
        using (var engine = Open(dataDir))
        {
            var queue = Declare(engine);
            await PublishAsync(engine, queue, count);
            withoutSnapshot = CopyOf(dataDir);
            await queue.CloseAsync(CancellationToken.None);
        }

        foreach (var directory in new[] { dataDir, withoutSnapshot })
        {
            using var engine = Open(directory, StartMs + 1_000);
            var partition = engine.Registry.Get(Jobs).Partitions[0];
            Assert.Equal((count, Window), (partition.Stats.Unsettled, partition.Stats.Indexed));
            var session = new RecordingSession();
            Subscribe(engine.Registry.Get(Jobs), session, prefetch: 64);
            for (var offset = 0; offset < count; offset++)
            {
                var delivery = await session.NextAsync();
                Assert.Equal(offset, (int)delivery.Offset);
                session.Ack(delivery);
            }

            await partition.WhenDurableAsync(partition.Log.AppendedEnd);
            Assert.Equal(0, partition.Stats.Unsettled);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Settled_deliveries_leave_no_deadlines_behind_and_the_partition_gives_its_collections_back_when_empty()
    {
        using var engine = Open(NewDirectory(), configure: o => o.Storage.IndexWindow = 4096);
        var queue = Declare(engine);
        var partition = queue.Partitions[0];
        var session = new RecordingSession();
        Subscribe(queue, session, prefetch: 64);
        for (var i = 0; i < 3000; i++)
        {
            queue.Publish(Message($"m{i}") with { TtlMs = 3_600_000 }, engine.Clock.NowMs);
        }

        for (var i = 0; i < 3000; i++)
        {
            session.Ack(await session.NextAsync());
            Assert.True(partition.PendingDeadlines <= 2 * (1024 + 64 + 3000 - i), $"{partition.PendingDeadlines} deadlines after {i} acks");
        }

        await partition.WhenDurableAsync(partition.Log.AppendedEnd);
        Assert.Equal((0, 0), (partition.Stats.Unsettled, partition.PendingDeadlines));
    }

    private string NewDirectory()
    {
        var directory = TempDirectory.Create("engine-window");
        _directories.Add(directory);
        return directory;
    }

    private string CopyOf(string dataDir)
    {
        var copy = EngineHarness.CopyDataDir(dataDir);
        _directories.Add(copy);
        return copy;
    }

    private static EngineHarness Open(string dataDir, long nowMs = StartMs, Action<Configuration.BrokerOptions>? configure = null) =>
        EngineHarness.Open(dataDir, nowMs, o =>
        {
            o.Storage.IndexWindow = Window;
            configure?.Invoke(o);
        });

    private static Queue Declare(EngineHarness engine) =>
        Declare(engine, Jobs, new QueueDeclaration(Partitions: 1, DeadLetter: DeadLetterSettings.Discard));

    private static Queue Declare(EngineHarness engine, QueueName name, QueueDeclaration declaration) =>
        engine.Registry.Load(engine.Registry.Declare(name, declaration).Slot);

    private static IncomingMessage Message(string text) => new(new MessageBody(Encoding.UTF8.GetBytes(text), null, null));

    private static string Text(Delivery delivery) => Encoding.UTF8.GetString(delivery.Body.Payload.Span);

    private static async Task PublishAsync(EngineHarness engine, Queue queue, int count)
    {
        var last = 0L;
        for (var i = 0; i < count; i++)
        {
            var offset = queue.Partitions[0].Stats.NextOffset;
            last = queue.Publish(Message($"m{offset}"), engine.Clock.NowMs).LsnEnd;
        }

        await queue.Partitions[0].WhenDurableAsync(last);
    }

    private static async Task PublishAsync(EngineHarness engine, Queue queue, IncomingMessage message)
    {
        var result = queue.Publish(message, engine.Clock.NowMs);
        await result.Partition.WhenDurableAsync(result.LsnEnd);
    }

    private static ServerSubscription Subscribe(Queue queue, RecordingSession session, int prefetch)
    {
        var subscription = new ServerSubscription(1, session, queue, queue.Partitions, AckPolicy.Manual, prefetch);
        foreach (var partition in queue.Partitions)
        {
            partition.Attach(subscription);
        }

        return subscription;
    }

    private static async Task<Delivery> DeadLetteredCopyAsync(EngineHarness engine)
    {
        var session = new RecordingSession();
        Subscribe(engine.Registry.Get(Dead), session, prefetch: 1);
        return await session.NextAsync();
    }
}
