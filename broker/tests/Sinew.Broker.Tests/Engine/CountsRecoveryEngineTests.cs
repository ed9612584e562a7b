// Deliveries and failures across a crash, without sockets: a copy of the data directory taken while the engine runs
// is what a SIGKILL would leave, and the engine reopened on it must hand each message out with a higher attempt than
// any it was sent with and the failures it had, whether the counts come from the log, a snapshot, or the log cursor
// a snapshot saved. Logs and snapshots written before failures were counted still load.
using System.Text;
using Sinew.Broker.Queues;
using Sinew.Broker.Storage;
using Sinew.Broker.Tests.Support;

namespace Sinew.Broker.Tests.Engine;

public sealed class CountsRecoveryEngineTests : IDisposable
{
    private const long StartMs = 1_800_000_000_000;
    private static readonly QueueName Jobs = new("jobs", null);

    private readonly List<string> _directories = [];

    public void Dispose()
    {
        foreach (var directory in _directories)
        {
            TempDirectory.Delete(directory);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_crash_keeps_the_deliveries_and_failures_the_log_recorded()
    {
        var dataDir = NewDirectory();
        string crashed;
        using (var engine = Open(dataDir))
        {
            var queue = Declare(engine);
            var session = Subscribe(queue, prefetch: 1);
            await PublishAsync(engine, queue, "flaky");
            Assert.Null(session.Nack(await session.NextAsync(), requeue: true));
            var held = await session.NextAsync();
            Assert.Equal((2, 1), (held.Attempt, held.Failures));

            // The commit after the delivery carries its record; the crash comes once it is written.
            queue.Partitions[0].FlushNow();
            crashed = CopyOf(dataDir);
        }

        using var restarted = Open(crashed, StartMs + 1_000);
        var again = await Subscribe(restarted.Registry.Get(Jobs), prefetch: 1).NextAsync();
        Assert.Equal(("flaky", 3, 1), (Text(again), again.Attempt, again.Failures));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_crash_keeps_the_counts_a_snapshot_holds_and_those_logged_after_it()
    {
        var dataDir = NewDirectory();
        string afterSnapshot, afterMore;
        using (var engine = Open(dataDir))
        {
            var queue = Declare(engine);
            var partition = queue.Partitions[0];
            var session = Subscribe(queue, prefetch: 1);
            await PublishAsync(engine, queue, "flaky");
            Assert.Null(session.Nack(await session.NextAsync(), requeue: true));
            var second = await session.NextAsync();
            await partition.WriteSnapshotAsync(CancellationToken.None);
            partition.FlushNow();
            afterSnapshot = CopyOf(dataDir);

            Assert.Null(session.Nack(second, requeue: true));
            var third = await session.NextAsync();
            Assert.Equal((3, 2), (third.Attempt, third.Failures));
            partition.FlushNow();
            afterMore = CopyOf(dataDir);
        }

        using (var restarted = Open(afterSnapshot, StartMs + 1_000))
        {
            var again = await Subscribe(restarted.Registry.Get(Jobs), prefetch: 1).NextAsync();
            Assert.Equal((3, 1), (again.Attempt, again.Failures));
        }

        using (var restarted = Open(afterMore, StartMs + 1_000))
        {
            var again = await Subscribe(restarted.Registry.Get(Jobs), prefetch: 1).NextAsync();
            Assert.Equal((4, 2), (again.Attempt, again.Failures));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_snapshot_keeps_the_counts_of_messages_waiting_behind_the_log_cursor()
    {
        const int count = 8;
        var dataDir = NewDirectory();
        string crashed;
        using (var engine = Open(dataDir, window: 4))
        {
            var queue = Declare(engine);
            for (var i = 0; i < count; i++)
            {
                await PublishAsync(engine, queue, $"m{i}");
            }

            var session = Subscribe(queue, prefetch: count);
            var deliveries = new List<Delivery>();
            for (var i = 0; i < count; i++)
            {
                deliveries.Add(await session.NextAsync());
            }

            Assert.Null(session.Nack(Assert.Single(deliveries, d => d.Offset == count - 1), requeue: true));
            Assert.Equal((count - 1L, 2, 1), await NextCountsAsync(session));
            queue.Partitions[0].FlushNow();
            crashed = CopyOf(dataDir);
        }

        // Recovered with a window of 4, the last messages wait behind the log cursor with their counts, and a
        // snapshot taken now must save those counts, since the log before it is not replayed again.
        string snapshotted;
        using (var engine = Open(crashed, StartMs + 1_000, window: 4))
        {
            var partition = engine.Registry.Get(Jobs).Partitions[0];
            Assert.Equal((count, 4), (partition.Stats.Unsettled, partition.Stats.Indexed));
            await partition.WriteSnapshotAsync(CancellationToken.None);
            snapshotted = CopyOf(crashed);
        }

        using var restarted = Open(snapshotted, StartMs + 2_000, window: 4);
        var consumer = Subscribe(restarted.Registry.Get(Jobs), prefetch: count);
        var counts = new List<(long, int, int)>();
        for (var i = 0; i < count; i++)
        {
            counts.Add(await NextCountsAsync(consumer));
        }

        Assert.Equal([.. Enumerable.Range(0, count - 1).Select(o => ((long)o, 2, 0)), (count - 1L, 3, 1)], counts.Order());
    }

    [Fact(Timeout = 60_000)]
    public async Task A_requeue_record_written_before_failures_were_counted_still_loads_with_its_delivery_count()
    {
        var dataDir = NewDirectory();
        string crashed;
        using (var engine = Open(dataDir))
        {
            var queue = Declare(engine);
            var partition = queue.Partitions[0];
            await PublishAsync(engine, queue, "old");

            // What an earlier version wrote when it returned the message after its third delivery.
            partition.Log.Append(Records.RequeueSize, static (span, offset) => Records.WriteRequeue(span, offset, 3, 0), 0L);
            partition.FlushNow();
            crashed = CopyOf(dataDir);
        }

        using var restarted = Open(crashed, StartMs + 1_000);
        var again = await Subscribe(restarted.Registry.Get(Jobs), prefetch: 1).NextAsync();
        Assert.Equal(("old", 4, 0), (Text(again), again.Attempt, again.Failures));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_snapshot_written_before_failures_were_counted_still_loads_with_its_delivery_counts()
    {
        var dataDir = NewDirectory();
        string current;
        using (var engine = Open(dataDir))
        {
            var queue = Declare(engine);
            var partition = queue.Partitions[0];
            var session = Subscribe(queue, prefetch: 1);
            await PublishAsync(engine, queue, "flaky");
            Assert.Null(session.Nack(await session.NextAsync(), requeue: true));
            await session.NextAsync();
            await partition.WriteSnapshotAsync(CancellationToken.None);
            partition.FlushNow();
            current = CopyOf(dataDir);
        }

        // The same data, its snapshot in the earlier format: the failure it counted is not in that file, and the
        // record that counted it lies before the snapshot, so it is not replayed.
        var legacy = CopyOf(current);
        var file = Assert.Single(Directory.GetFiles(legacy, "snapshot-*.snap", SearchOption.AllDirectories));
        var snapshot = SnapshotFile.TryDecode(await File.ReadAllBytesAsync(file))!;
        Assert.Equal((2, 1), (snapshot.Entries[0].DeliveryCount, snapshot.Entries[0].Failures));
        await File.WriteAllBytesAsync(file, LegacySnapshotFile.EncodeWithoutFailures(snapshot));

        using (var restarted = Open(current, StartMs + 1_000))
        {
            var again = await Subscribe(restarted.Registry.Get(Jobs), prefetch: 1).NextAsync();
            Assert.Equal((3, 1), (again.Attempt, again.Failures));
        }

        using (var restarted = Open(legacy, StartMs + 1_000))
        {
            Assert.DoesNotContain(restarted.Log.Entries, e => e.Contains("snapshot", StringComparison.OrdinalIgnoreCase));
            var again = await Subscribe(restarted.Registry.Get(Jobs), prefetch: 1).NextAsync();
            Assert.Equal((3, 0), (again.Attempt, again.Failures));
        }
    }

    [Fact]
    public void A_snapshot_file_keeps_both_counts_of_indexed_messages_and_of_those_behind_the_cursor()
    {
        var snapshot = new PartitionSnapshot(4096, 12,
            [new SnapshotEntry(3, 100, StartMs, 0, 0, 7, 4), new SnapshotEntry(5, 300, StartMs, StartMs + 60_000, StartMs + 5_000, 2, 2)],
            [new SnapshotDedup("producer-a", 9, 5, 340, StartMs)],
            new SnapshotCursor(2048, 8, [(8, 9)], [new SnapshotRequeue(10, 3, StartMs + 1_000, 1)]));

        var decoded = SnapshotFile.TryDecode(SnapshotFile.Encode(snapshot))!;

        Assert.Equal(snapshot.Entries, decoded.Entries);
        Assert.Equal(snapshot.Cursor.Requeued, decoded.Cursor.Requeued);
        Assert.Equal((snapshot.Lsn, snapshot.NextOffset, snapshot.Cursor.Lsn, snapshot.Cursor.Offset),
            (decoded.Lsn, decoded.NextOffset, decoded.Cursor.Lsn, decoded.Cursor.Offset));

        // The earlier format reads with no failures and everything else as written.
        var legacy = SnapshotFile.TryDecode(LegacySnapshotFile.EncodeWithoutFailures(snapshot))!;
        Assert.Equal(snapshot.Entries.Select(e => e with { Failures = 0 }), legacy.Entries);
        Assert.Equal(snapshot.Cursor.Requeued.Select(r => r with { Failures = 0 }), legacy.Cursor.Requeued);
        Assert.Equal(snapshot.Dedup, legacy.Dedup);
    }

    private string NewDirectory()
    {
        var directory = TempDirectory.Create("engine-counts");
        _directories.Add(directory);
        return directory;
    }

    private string CopyOf(string dataDir)
    {
        var copy = EngineHarness.CopyDataDir(dataDir);
        _directories.Add(copy);
        return copy;
    }

    private static EngineHarness Open(string dataDir, long nowMs = StartMs, int window = 4096) =>
        EngineHarness.Open(dataDir, nowMs, o => o.Storage.IndexWindow = window);

    private static Queue Declare(EngineHarness engine) =>
        engine.Registry.Load(engine.Registry.Declare(Jobs, new QueueDeclaration(Partitions: 1, DeadLetter: DeadLetterSettings.Discard)).Slot);

    private static RecordingSession Subscribe(Queue queue, int prefetch)
    {
        var session = new RecordingSession();
        var subscription = new ServerSubscription(1, session, queue, queue.Partitions, AckPolicy.Manual, prefetch);
        foreach (var partition in queue.Partitions)
        {
            partition.Attach(subscription);
        }

        return session;
    }

    private static async Task PublishAsync(EngineHarness engine, Queue queue, string text)
    {
        var result = queue.Publish(new IncomingMessage(new MessageBody(Encoding.UTF8.GetBytes(text), null, null)), engine.Clock.NowMs);
        await result.Partition.WhenDurableAsync(result.LsnEnd);
    }

    private static async Task<(long Offset, int Attempt, int Failures)> NextCountsAsync(RecordingSession session)
    {
        var delivery = await session.NextAsync();
        return (delivery.Offset, delivery.Attempt, delivery.Failures);
    }

    private static string Text(Delivery delivery) => Encoding.UTF8.GetString(delivery.Body.Payload.Span);
}
