// Durability: confirmed means on disk, even across SIGKILL; torn tails are repaired; corruption in the
// middle of a log quarantines only its partition; snapshots bound recovery and free settled segments.
using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Sinew.Broker.Tests.Support;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;
using Sinew.Testing;

namespace Sinew.Broker.Tests;

public class DurabilityTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Fact(Timeout = 120_000)]
    public async Task Every_confirmed_message_survives_a_sigkill_under_load_exactly_as_sent()
    {
        var dataDir = TempDirectory.Create("sigkill");
        var confirmed = new ConcurrentDictionary<string, (uint Partition, ulong Offset)>();
        await using (var broker = await BrokerProcess.StartAsync(dataDir))
        {
            await using (var admin = await RawClient.ConnectAsync(broker.Endpoint))
            {
                await admin.DeclareAsync("orders", partitions: 2);
            }

            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            var producers = Enumerable.Range(0, 4).Select(async p =>
            {
                await using var client = await RawClient.ConnectAsync(broker.Endpoint);
                var inFlight = new List<Task>();
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var id = $"p{p}-{i}";
                    inFlight.Add(PublishOneAsync(client, id));
                    if (inFlight.Count >= 64)
                    {
                        await Task.WhenAny(inFlight);
                        inFlight.RemoveAll(t => t.IsCompleted);
                    }
                }

                try
                {
                    await Task.WhenAll(inFlight);
                }
                catch (Exception e) when (e is IOException or TimeoutException)
                {
                }
            }).ToList();

            async Task PublishOneAsync(RawClient client, string id)
            {
                try
                {
                    var ok = await client.CallAsync<PublishOk>(new Publish("orders", null, new PublishMessage(Payload(id))), FrameFlags.Confirm);
                    var result = Assert.Single(ok.Results);
                    confirmed[id] = (result.Partition, result.Offset);
                }
                catch (Exception e) when (e is IOException or TimeoutException)
                {
                    // The broker was killed with this publish in flight: it may or may not be stored.
                }
            }

            await Task.Delay(1500);
            await broker.KillAsync();
            await Task.WhenAll(producers);
        }

        Assert.True(confirmed.Count > 100, $"only {confirmed.Count} publishes were confirmed before the kill");
        await using var restarted = await BrokerProcess.StartAsync(dataDir);
        await using var consumer = await RawClient.ConnectAsync(restarted.Endpoint);
        await consumer.SubscribeAsync("orders", prefetch: 5000, ackMode: AckMode.Auto);
        var found = new Dictionary<string, (uint, ulong)>();
        while (true)
        {
            DeliveredMessage delivery;
            try
            {
                delivery = await consumer.NextDeliveryAsync(TimeSpan.FromSeconds(2));
            }
            catch (OperationCanceledException)
            {
                break;
            }

            var (id, intact) = Parse(delivery.Payload.Span);
            Assert.True(intact, $"message {id} came back altered");
            found[id] = (delivery.Partition, delivery.Offset);
        }

        var missing = confirmed.Keys.Where(id => !found.ContainsKey(id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {confirmed.Count} confirmed messages are missing, e.g. {string.Join(", ", missing.Take(5))}");
        foreach (var (id, place) in confirmed)
        {
            Assert.Equal(place, found[id]);
        }

        TempDirectory.Delete(dataDir);
    }

    // A payload that proves itself: the id, then 256 bytes derived from it.
    private static byte[] Payload(string id) => [.. Bytes(id + "|"), .. SHA256.HashData(Bytes(id)), .. new byte[224].Select((_, i) => (byte)(id.Length + i))];

    private static (string Id, bool Intact) Parse(ReadOnlySpan<byte> payload)
    {
        var bar = payload.IndexOf((byte)'|');
        var id = Encoding.UTF8.GetString(payload[..bar]);
        return (id, payload.SequenceEqual(Payload(id)));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_second_broker_on_a_data_directory_in_use_is_refused_and_the_first_keeps_serving()
    {
        await using var first = await TestBroker.StartAsync();
        var refused = await Assert.ThrowsAsync<IOException>(() => TestBroker.StartAsync(dataDir: first.DataDir));
        Assert.Contains("in use by another running broker", refused.Message, StringComparison.Ordinal);

        // Another process is refused the same way, and says so before exiting.
        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => BrokerProcess.StartAsync(first.DataDir));
        Assert.Contains("in use by another running broker", exception.Message, StringComparison.Ordinal);

        await using var client = await first.ConnectAsync();
        await client.DeclareAsync("still-serving");
        await client.PublishAsync("still-serving", Encoding.UTF8.GetBytes("ok"));

        // Once the first broker stops, the directory is free again.
        await first.RestartAsync();
        await using var after = await first.ConnectAsync();
        await after.SubscribeAsync("still-serving");
        Assert.Equal("ok", Encoding.UTF8.GetString((await after.NextDeliveryAsync()).Payload.Span));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_torn_tail_left_by_a_crash_is_truncated_and_nothing_confirmed_is_lost()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("orders");
            for (var i = 0; i < 5; i++)
            {
                await client.PublishAsync("orders", Bytes($"m{i}"));
            }
        }

        await broker.Host.StopAsync();
        var segment = LastSegment(broker.DataDir, "orders");
        // A record header promising more bytes than follow: what a crash mid-write leaves behind.
        await File.AppendAllBytesAsync(segment, [0, 0, 1, 0, 0xde, 0xad, 0xbe, 0xef, 2, 0, 0]);
        await broker.RestartAsync();

        await using var after = await broker.ConnectAsync();
        Assert.Equal(5UL, (await after.PublishAsync("orders", Bytes("m5"))).Offset);
        await after.SubscribeAsync("orders", ackMode: AckMode.Auto);
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal($"m{i}", Encoding.UTF8.GetString((await after.NextDeliveryAsync()).Payload.Span));
        }

        await broker.AssertBecomesReadyAsync();
    }

    [Fact(Timeout = 60_000)]
    public async Task Corruption_in_the_middle_of_a_log_quarantines_that_partition_while_the_rest_serves()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("damaged");
            await client.DeclareAsync("healthy");
            for (var i = 0; i < 10; i++)
            {
                await client.PublishAsync("damaged", Bytes($"payload-{i:D4}"));
                await client.PublishAsync("healthy", Bytes($"payload-{i:D4}"));
            }
        }

        await broker.Host.StopAsync();
        await DataFiles.FlipByteAsync(LastSegment(broker.DataDir, "damaged"), "payload-0003", 8);
        await broker.RestartAsync();

        await using var after = await broker.ConnectAsync();
        var error = await after.FailAsync(new Publish("damaged", null, new PublishMessage(Bytes("x"))), ErrorCode.Quarantined, FrameFlags.Confirm);
        Assert.Equal("0", error.Details!["partition"]);
        await after.FailAsync(new Subscribe("damaged", null, null, AckMode.Manual, 10), ErrorCode.Quarantined);

        Assert.Equal(10UL, (await after.PublishAsync("healthy", Bytes("still fine"))).Offset);
        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        var ready = await http.GetAsync("/readyz");
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("damaged", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("sinew_partitions_quarantined 1", await http.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task With_recovery_set_to_refuse_a_corrupt_log_stops_the_broker_from_starting()
    {
        var dataDir = TempDirectory.Create("refuse");
        await using (var broker = await BrokerProcess.StartAsync(dataDir))
        {
            await using (var client = await RawClient.ConnectAsync(broker.Endpoint))
            {
                await client.DeclareAsync("damaged");
                for (var i = 0; i < 5; i++)
                {
                    await client.PublishAsync("damaged", Bytes($"payload-{i:D4}"));
                }
            }

            Assert.Equal(0, await broker.TerminateAsync(TimeSpan.FromSeconds(20)));
        }

        await DataFiles.FlipByteAsync(LastSegment(dataDir, "damaged"), "payload-0001", 9);

        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => BrokerProcess.StartAsync(dataDir, ["--set", "recovery.on_corruption=refuse"]));
        Assert.Contains("exited with code 1", failed.Message, StringComparison.Ordinal);
        Assert.Contains($"sinew-broker: could not start: {QueueDirectory(dataDir, "damaged")}: partition 0 of queue damaged: corrupt log", failed.Message,
            StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", failed.Message, StringComparison.Ordinal);
        TempDirectory.Delete(dataDir);
    }

    [Fact(Timeout = 120_000)]
    public async Task Snapshots_let_settled_segments_go_and_recovery_keeps_every_unsettled_message()
    {
        static void Small(Sinew.Broker.Configuration.BrokerOptions o)
        {
            o.Storage.SegmentBytes = 1 << 20;
            o.Storage.SnapshotIntervalBytes = 256 << 10;
        }

        await using var broker = await TestBroker.StartAsync(Small);
        var payload = new byte[2048];
        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("logs");
            // One message kept unsettled at the start, then enough traffic to fill several segments.
            await client.PublishAsync("logs", Bytes("keep me"));
            var batch = Enumerable.Range(0, 100).Select(_ => new PublishMessage(payload)).ToList();
            for (var i = 0; i < 20; i++)
            {
                await client.CallAsync<PublishOk>(new PublishBatch("logs", null, batch), FrameFlags.Confirm);
            }

            await client.SubscribeAsync("logs", prefetch: 5000);
            var first = await client.NextDeliveryAsync();
            Assert.Equal("keep me", Encoding.UTF8.GetString(first.Payload.Span));
            for (var i = 0; i < 2000; i++)
            {
                var delivery = await client.NextDeliveryAsync();
                await client.SendAsync(new Ack([delivery.DeliveryId]));
            }

            await client.CallAsync<Pong>(Ping.Instance);
            await Task.Delay(500);
        }

        await broker.RestartAsync(Small);
        var partitionDir = Path.Combine(QueueDirectory(broker.DataDir, "logs"), "p0");
        Assert.NotEmpty(Directory.GetFiles(partitionDir, "snapshot-*.snap"));

        await using var after = await broker.ConnectAsync();
        await after.SubscribeAsync("logs");
        var kept = await after.NextDeliveryAsync();
        Assert.Equal("keep me", Encoding.UTF8.GetString(kept.Payload.Span));
        Assert.Equal(0UL, kept.Offset);
        Assert.True(await after.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(2001UL, (await after.PublishAsync("logs", Bytes("next"))).Offset);
    }

    [Fact(Timeout = 120_000)]
    public async Task Settled_segments_are_deleted_once_a_snapshot_covers_them()
    {
        static void Small(Sinew.Broker.Configuration.BrokerOptions o)
        {
            o.Storage.SegmentBytes = 1 << 20;
            o.Storage.SnapshotIntervalBytes = 256 << 10;
        }

        await using var broker = await TestBroker.StartAsync(Small);
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("logs");
        await client.SubscribeAsync("logs", prefetch: 1000, ackMode: AckMode.Auto);
        var payload = new byte[4096];
        var batch = Enumerable.Range(0, 100).Select(_ => new PublishMessage(payload)).ToList();
        for (var i = 0; i < 30; i++)
        {
            await client.CallAsync<PublishOk>(new PublishBatch("logs", null, batch), FrameFlags.Confirm);
            for (var j = 0; j < 100; j++)
            {
                await client.NextDeliveryAsync();
            }
        }

        var partitionDir = Path.Combine(QueueDirectory(broker.DataDir, "logs"), "p0");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Directory.GetFiles(partitionDir, "*.seg").Length > 3 && DateTime.UtcNow < deadline)
        {
            await client.CallAsync<PublishOk>(new PublishBatch("logs", null, batch), FrameFlags.Confirm);
            for (var j = 0; j < 100; j++)
            {
                await client.NextDeliveryAsync();
            }
        }

        Assert.InRange(Directory.GetFiles(partitionDir, "*.seg").Length, 1, 3);
    }

    [Fact(Timeout = 30_000)]
    public async Task Snapshots_of_one_partition_requested_at_once_are_written_one_after_another()
    {
        // A periodic snapshot can still be running when shutdown snapshots the same partition.
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("logs");
        await client.PublishAsync("logs", Bytes("kept"));
        var partition = broker.Host.Context.Registry.Slots.Single(s => s.Name.Topic == "logs").Queue.Partitions[0];

        for (var round = 0; round < 20; round++)
        {
            using var start = new ManualResetEventSlim();
            var writers = Enumerable.Range(0, 4).Select(_ => Task.Factory.StartNew(() =>
            {
                start.Wait();
                return partition.WriteSnapshotAsync(CancellationToken.None);
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap()).ToList();
            start.Set();
            await Task.WhenAll(writers);
        }

        var files = Directory.GetFiles(Path.Combine(QueueDirectory(broker.DataDir, "logs"), "p0")).Select(Path.GetFileName).ToList();
        Assert.Single(files, f => f!.EndsWith(".snap", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f!.EndsWith(".tmp", StringComparison.Ordinal));

        await broker.RestartAsync();
        await using var after = await broker.ConnectAsync();
        await after.SubscribeAsync("logs");
        Assert.Equal("kept", Encoding.UTF8.GetString((await after.NextDeliveryAsync()).Payload.Span));
    }

    private static string QueueDirectory(string dataDir, string topic) => DataFiles.QueueDirectory(dataDir, topic);

    private static string LastSegment(string dataDir, string topic) => DataFiles.LastSegment(dataDir, topic);
}
