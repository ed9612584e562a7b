// Damaged or missing log files found at start: recovery checks the log against what its snapshot says was
// durable, and any shortfall quarantines the partition (or refuses the start, as configured) instead of
// coming back with fewer messages than were confirmed.
using System.Net;
using System.Text;
using Sinew.Broker.Tests.Support;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Tests;

public class RecoveryDamageTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static void SmallSegments(Sinew.Broker.Configuration.BrokerOptions o) => o.Storage.SegmentBytes = 1 << 20;

    [Fact(Timeout = 60_000)]
    public async Task A_log_cut_shorter_than_its_snapshot_says_was_durable_quarantines_the_partition()
    {
        await using var broker = await StartWithMessagesAsync(400);
        CutToSixtyPercent(DataFiles.LastSegment(broker.DataDir, "damaged"));

        await broker.RestartAsync();
        await AssertQuarantinedAsync(broker, "durable");
    }

    [Fact(Timeout = 60_000)]
    public async Task A_log_cut_shorter_than_its_snapshot_says_stops_the_start_when_recovery_refuses_corruption()
    {
        string copy;
        await using (var broker = await StartWithMessagesAsync(400))
        {
            copy = EngineHarness.CopyDataDir(broker.DataDir);
        }

        CutToSixtyPercent(DataFiles.LastSegment(copy, "damaged"));

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => TestBroker.StartAsync(o => o.Recovery.OnCorruption = "refuse", copy));
        Assert.Contains("durable", refused.ToString(), StringComparison.Ordinal);
        TempDirectory.Delete(copy);
    }

    [Fact(Timeout = 60_000)]
    public async Task Every_segment_deleted_with_the_snapshot_kept_quarantines_the_partition()
    {
        await using var broker = await StartWithMessagesAsync(50);
        foreach (var segment in Segments(broker.DataDir, "damaged"))
        {
            File.Delete(segment);
        }

        await broker.RestartAsync();
        await AssertQuarantinedAsync(broker, "no segment");
    }

    [Fact(Timeout = 60_000)]
    public async Task A_damaged_last_record_that_the_snapshot_lists_is_corruption_not_a_torn_tail()
    {
        await using var broker = await StartWithMessagesAsync(5);
        await DataFiles.FlipByteAsync(DataFiles.LastSegment(broker.DataDir, "damaged"), "payload-0004", 3, lastPlace: true);

        await broker.RestartAsync();
        await AssertQuarantinedAsync(broker, "durable");
    }

    [Theory(Timeout = 60_000)]
    [InlineData(0)]
    [InlineData(1)]
    public async Task A_missing_segment_quarantines_the_partition_instead_of_failing_at_delivery(int missing)
    {
        await using var broker = await StartWithMessagesAsync(4000, payloadBytes: 1024, SmallSegments);
        var segments = Segments(broker.DataDir, "damaged");
        Assert.True(segments.Count >= 3, $"{segments.Count} segments");
        File.Delete(segments[missing]);

        await broker.RestartAsync(SmallSegments);
        await AssertQuarantinedAsync(broker, "missing");
    }

    /// <summary>A broker with <paramref name="count"/> unsettled messages in queue "damaged" and a few in
    /// "healthy", stopped gracefully (so a snapshot records the log's end).</summary>
    private static async Task<TestBroker> StartWithMessagesAsync(int count, int payloadBytes = 0, Action<Sinew.Broker.Configuration.BrokerOptions>? configure = null)
    {
        var broker = await TestBroker.StartAsync(configure);
        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("damaged");
            await client.DeclareAsync("healthy");
            var filler = new string('x', payloadBytes);
            for (var sent = 0; sent < count;)
            {
                var batch = Enumerable.Range(sent, Math.Min(100, count - sent))
                    .Select(i => new PublishMessage(Bytes($"payload-{i:D4}{filler}")))
                    .ToList();
                await client.CallAsync<PublishOk>(new PublishBatch("damaged", null, batch), FrameFlags.Confirm);
                sent += batch.Count;
            }

            await client.PublishAsync("healthy", Bytes("fine"));
        }

        await broker.Host.StopAsync();
        return broker;
    }

    private static async Task AssertQuarantinedAsync(TestBroker broker, string reasonPart)
    {
        await using var client = await broker.ConnectAsync();
        var error = await client.FailAsync(new Publish("damaged", null, new PublishMessage(Bytes("x"))), ErrorCode.Quarantined, FrameFlags.Confirm);
        Assert.Contains(reasonPart, error.Message, StringComparison.Ordinal);
        await client.FailAsync(new Subscribe("damaged", null, null, AckMode.Manual, 10), ErrorCode.Quarantined);
        Assert.Equal(1UL, (await client.PublishAsync("healthy", Bytes("still fine"))).Offset);

        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        var ready = await http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("damaged", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static List<string> Segments(string dataDir, string topic) => DataFiles.Segments(dataDir, topic);

    private static void CutToSixtyPercent(string segment)
    {
        using var file = File.OpenHandle(segment, FileMode.Open, FileAccess.ReadWrite);
        RandomAccess.SetLength(file, RandomAccess.GetLength(file) * 6 / 10);
    }
}
