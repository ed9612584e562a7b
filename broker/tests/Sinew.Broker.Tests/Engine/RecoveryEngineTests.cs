// Recovery driven without sockets: the partition against its timers, and what a snapshot taken while a
// message still waits for its fsync says about it.
using Sinew.Broker.Queues;
using Sinew.Broker.Storage;
using Sinew.Broker.Tests.Support;

namespace Sinew.Broker.Tests.Engine;

public class RecoveryEngineTests
{
    private const long StartMs = 1_800_000_000_000;
    private static readonly QueueName Jobs = new("jobs", null);
    private static readonly MessageBody Body = new(new byte[64], null, null);

    [Fact(Timeout = 180_000)]
    public async Task Timers_that_come_due_while_a_partition_recovers_wait_for_it_and_every_message_ends_where_it_belongs()
    {
        // Half the messages expired while the broker was down, half are delayed for another hour: at
        // start, expiry timers are due at once while recovery is still placing the delayed ones.
        const int count = 4000;
        var pristine = TempDirectory.Create("engine-race");
        using (var engine = EngineHarness.Open(pristine, StartMs))
        {
            var queue = Declare(engine);
            var last = 0L;
            for (var i = 0; i < count; i++)
            {
                var message = i % 2 == 0
                    ? new IncomingMessage(Body, TtlMs: 60_000)
                    : new IncomingMessage(Body, NotBeforeMs: StartMs + 7_200_000);
                last = queue.Publish(message, StartMs).LsnEnd;
            }

            await queue.Partitions[0].WhenDurableAsync(last);
            await queue.CloseAsync(CancellationToken.None);
        }

        for (var round = 0; round < 40; round++)
        {
            var copy = EngineHarness.CopyDataDir(pristine);
            using (var engine = EngineHarness.Open(copy, StartMs + 3_600_000))
            {
                var partition = engine.Registry.Get(Jobs).Partitions[0];
                Assert.True(await EngineHarness.EventuallyAsync(() => partition.Stats.Unsettled == count / 2),
                    $"round {round}: {partition.Stats} after recovery; log: {string.Join(" | ", engine.Log.Entries)}");
                var stats = partition.Stats;
                Assert.Equal((count / 2, 0, 0), (stats.Delayed, stats.Ready, stats.Inflight));
                Assert.DoesNotContain(engine.Log.Entries, e => e.StartsWith("Error", StringComparison.Ordinal));
            }

            TempDirectory.Delete(copy);
        }

        TempDirectory.Delete(pristine);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_snapshot_taken_while_a_delayed_message_waits_for_its_fsync_keeps_it_delayed_after_a_crash()
    {
        for (var round = 0; round < 10; round++)
        {
            var dataDir = TempDirectory.Create("engine-pending");
            string crashed;
            using (var engine = EngineHarness.Open(dataDir, StartMs))
            using (var fsync = new ManualResetEventSlim(false))
            {
                var queue = Declare(engine);
                var partition = queue.Partitions[0];

                // Hold the next fsync, so the message stays appended but not durable while the snapshot is taken.
                engine.Services.StorageFaults.Inject = (operation, _) =>
                {
                    if (operation == StorageOperation.Sync)
                    {
                        fsync.Wait(TimeSpan.FromSeconds(20));
                    }

                    return null;
                };
                var published = queue.Publish(new IncomingMessage(Body, NotBeforeMs: StartMs + 15_000), StartMs);
                var snapshot = partition.WriteSnapshotAsync(CancellationToken.None);
                fsync.Set();
                await partition.WhenDurableAsync(published.LsnEnd);
                await snapshot;

                // What a SIGKILL right now would leave on disk.
                crashed = EngineHarness.CopyDataDir(dataDir);
            }

            using (var engine = EngineHarness.Open(crashed, StartMs + 1_000))
            {
                var stats = engine.Registry.Get(Jobs).Partitions[0].Stats;
                Assert.Equal((1, 1, 0), (stats.Unsettled, stats.Delayed, stats.Ready));
            }

            TempDirectory.Delete(dataDir);
            TempDirectory.Delete(crashed);
        }
    }

    private static Queue Declare(EngineHarness engine) =>
        engine.Registry.Declare(Jobs, new QueueDeclaration(DeadLetter: DeadLetterSettings.Discard)).Slot.Queue;
}
