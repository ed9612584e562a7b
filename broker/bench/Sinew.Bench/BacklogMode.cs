// `--mode backlog`: what a deep backlog costs the broker in memory. Publishes N messages into one queue with no
// consumer, reads the broker's resident memory, restarts the broker on the same data and reads it again once
// every partition is verified, then drains the queue and checks that exactly N messages came out and none is left.
using System.Diagnostics;
using System.Text.Json;

namespace Sinew.Bench;

internal static class BacklogMode
{
    public static async Task<int> RunAsync(BenchSettings s)
    {
        await using var broker = await BrokerUnderTest.StartAsync();
        var queue = $"bench-backlog-{Guid.NewGuid():N}"[..24];
        await Workload.DeclareAsync(s, broker, queue);
        await MemoryFigures.SettleAsync(s.SettleSeconds);
        var idle = broker.RssBytes();

        var stopwatch = Stopwatch.StartNew();
        await Workload.ProduceAllAsync(s, broker, queue, s.Messages);
        var publish = s.Messages / stopwatch.Elapsed.TotalSeconds;
        await MemoryFigures.SettleAsync(s.SettleSeconds);
        var afterPublish = broker.RssBytes();
        var peakPublishing = broker.PeakRssBytes();
        Console.WriteLine($"published {s.Messages:N0} at {publish:N0} msg/s; broker RSS {MemoryFigures.Megabytes(afterPublish)} " +
                          $"(idle before: {MemoryFigures.Megabytes(idle)}, peak while publishing: {MemoryFigures.Megabytes(peakPublishing)})");

        stopwatch.Restart();
        await broker.RestartAsync();
        await broker.WaitReadyAsync(TimeSpan.FromMinutes(10));
        var recovery = stopwatch.Elapsed.TotalSeconds;
        await MemoryFigures.SettleAsync(s.SettleSeconds);
        var afterRestart = broker.RssBytes();
        var peakRestarting = broker.PeakRssBytes();
        Console.WriteLine($"restarted and verified in {recovery:F1} s; broker RSS {MemoryFigures.Megabytes(afterRestart)} " +
                          $"(peak while recovering: {MemoryFigures.Megabytes(peakRestarting)})");

        stopwatch.Restart();
        await Workload.ConsumeAllAsync(s, broker, queue, s.Messages);
        var drain = s.Messages / stopwatch.Elapsed.TotalSeconds;
        var peakDraining = broker.PeakRssBytes();
        var left = await broker.UnsettledAsync(queue);
        Console.WriteLine($"drained {s.Messages:N0} at {drain:N0} msg/s; {left} left in the queue; " +
                          $"peak RSS since the restart: {MemoryFigures.Megabytes(peakDraining)}");
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            mode = "backlog",
            workload = s,
            publish_confirmed_per_second = Math.Round(publish),
            broker_rss_idle_bytes = idle,
            broker_rss_after_publish_bytes = afterPublish,
            broker_peak_rss_publishing_bytes = peakPublishing,
            recovery_seconds = Math.Round(recovery, 1),
            broker_rss_after_restart_bytes = afterRestart,
            broker_peak_rss_recovering_bytes = peakRestarting,
            drain_per_second = Math.Round(drain),
            broker_peak_rss_after_restart_bytes = peakDraining,
            left_after_drain = left,
        }));
        if (left != 0)
        {
            await Console.Error.WriteLineAsync($"sinew-bench: {left} message(s) were left in the queue after draining {s.Messages:N0}");
            return 1;
        }

        return 0;
    }
}
