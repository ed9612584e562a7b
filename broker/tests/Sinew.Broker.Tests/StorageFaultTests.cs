// Write failures below the log and a full disk: nothing is confirmed past a failed write, the client gets
// a typed error at once, the partition parks while the rest of the broker serves, and it resumes by
// itself when the cause is gone, with every confirmed message still there after a restart.
using System.Diagnostics;
using System.Net;
using System.Text;
using Sinew.Broker.Storage;
using Sinew.Broker.Tests.Support;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;
using Xunit.Abstractions;

namespace Sinew.Broker.Tests;

public class StorageFaultTests(ITestOutputHelper output)
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Fact(Timeout = 60_000)]
    public async Task A_write_failure_that_is_not_an_io_error_confirms_nothing_parks_the_partition_and_it_resumes_by_itself()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("orders");
        await client.DeclareAsync("healthy");
        for (var i = 0; i < 5; i++)
        {
            await client.PublishAsync("orders", Bytes($"m{i}"));
        }

        // What a directory made read-only under a running broker produces: not an IOException.
        var failing = true;
        broker.Host.Context.Services.StorageFaults.Inject = (operation, path) =>
            Volatile.Read(ref failing) && path.Contains("orders-", StringComparison.Ordinal)
                ? new UnauthorizedAccessException($"Access to the path '{path}' is denied.")
                : null;

        var refused = await client.FailAsync(new Publish("orders", null, new PublishMessage(Bytes("lost"))), ErrorCode.Unavailable, FrameFlags.Confirm);
        Assert.True(refused.Retryable);
        Assert.Contains("denied", refused.Message, StringComparison.Ordinal);

        // While parked, publishes and settlements are refused at once; other queues serve.
        await client.FailAsync(new Publish("orders", null, new PublishMessage(Bytes("also lost"))), ErrorCode.Unavailable, FrameFlags.Confirm);
        Assert.Equal(0UL, (await client.PublishAsync("healthy", Bytes("fine"))).Offset);
        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        var ready = await http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("orders", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("sinew_partitions_parked 1", await http.GetStringAsync("/metrics"), StringComparison.Ordinal);

        // The cause goes away: the partition writes what it held and serves again without a restart.
        Volatile.Write(ref failing, false);
        await broker.AssertBecomesReadyAsync();
        var next = await client.PublishAsync("orders", Bytes("m5"));
        Assert.True(next.Offset >= 5, $"offset {next.Offset}");

        await broker.RestartAsync();
        await using var after = await broker.ConnectAsync();
        await after.SubscribeAsync("orders", ackMode: AckMode.Auto);
        var seen = new List<string>();
        while (!await after.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(300)))
        {
            seen.Add(Encoding.UTF8.GetString((await after.NextDeliveryAsync()).Payload.Span));
        }

        // Every confirmed message is there, in order; the refused ones may or may not be (they were never confirmed).
        Assert.Equal(["m0", "m1", "m2", "m3", "m4", "m5"], seen.Where(s => s.StartsWith('m')));
        await broker.AssertBecomesReadyAsync();
    }

    [Fact(Timeout = 60_000)]
    public async Task A_failed_fsync_fails_every_waiting_confirmation_and_no_later_flush_confirms_past_it()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("orders");
        var failing = true;
        broker.Host.Context.Services.StorageFaults.Inject = (operation, path) =>
            operation == StorageOperation.Sync && Volatile.Read(ref failing) && path.Contains("orders-", StringComparison.Ordinal)
                ? new IOException("Input/output error", 5)
                : null;

        // Many publishes in flight when the fsync fails: none of them may be confirmed.
        var attempts = Enumerable.Range(0, 50)
            .Select(i => client.RequestAsync(new Publish("orders", null, new PublishMessage(Bytes($"x{i}"))), FrameFlags.Confirm))
            .ToList();
        foreach (var frame in await Task.WhenAll(attempts))
        {
            var error = Assert.IsType<Error>(frame.Message);
            Assert.Equal((ushort)ErrorCode.Unavailable, error.Code);
        }

        Volatile.Write(ref failing, false);
        await broker.AssertBecomesReadyAsync();
        var confirmed = await client.PublishAsync("orders", Bytes("after"));

        await broker.RestartAsync();
        await using var after = await broker.ConnectAsync();
        await after.SubscribeAsync("orders", prefetch: 100, ackMode: AckMode.Auto);
        var seen = new List<DeliveredMessage>();
        while (!await after.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(300)))
        {
            seen.Add(await after.NextDeliveryAsync());
        }

        // Offsets are dense and the confirmed message is found where its confirmation said: no hole, nothing moved.
        Assert.Equal(Enumerable.Range(0, seen.Count).Select(i => (ulong)i), seen.Select(d => d.Offset));
        Assert.Equal("after", Encoding.UTF8.GetString(seen.Single(d => d.Offset == confirmed.Offset).Payload.Span));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_queue_whose_first_segment_cannot_be_created_parks_and_serves_once_it_can()
    {
        await using var broker = await TestBroker.StartAsync();
        var failing = true;
        broker.Host.Context.Services.StorageFaults.Inject = (operation, path) =>
            operation == StorageOperation.CreateSegment && Volatile.Read(ref failing)
                ? new IOException("No space left on device", 28)
                : null;
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("late");
        var refused = await client.FailAsync(new Publish("late", null, new PublishMessage(Bytes("early"))), ErrorCode.ResourceExhausted, FrameFlags.Confirm);
        Assert.Contains("disk is full", refused.Message, StringComparison.Ordinal);

        Volatile.Write(ref failing, false);
        Assert.True(await EngineHarness.EventuallyAsync(async () =>
            (await client.RequestAsync(new Publish("late", null, new PublishMessage(Bytes("on time"))), FrameFlags.Confirm)).Message is PublishOk));
    }

    [Fact(Timeout = 120_000)]
    public async Task Under_the_free_space_floor_publishes_are_refused_consumers_keep_draining_and_publishing_resumes_by_itself()
    {
        using var disk = SmallDisk.TryMount(32, output);
        if (disk is null)
        {
            return;
        }

        await using var broker = await TestBroker.StartAsync(o =>
        {
            o.Storage.MinFreeBytes = 12L << 20;
            o.Storage.DiskCheckIntervalMs = 20;
            o.Storage.SegmentBytes = 1 << 20;
        }, dataDir: disk.Path("data"));
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("orders");
        for (var i = 0; i < 20; i++)
        {
            await client.PublishAsync("orders", Bytes($"m{i}"));
        }

        disk.FillLeaving(8L << 20);
        Error? refused = null;
        Assert.True(await EngineHarness.EventuallyAsync(async () =>
        {
            var frame = await client.RequestAsync(new Publish("orders", null, new PublishMessage(Bytes("more"))), FrameFlags.Confirm);
            refused = frame.Message as Error;
            return refused is not null;
        }));
        Assert.Equal((ushort)ErrorCode.ResourceExhausted, refused!.Code);
        Assert.Equal("disk_low", refused.Details!["reason"]);
        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        var ready = await http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("disk", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("sinew_disk_low 1", await http.GetStringAsync("/metrics"), StringComparison.Ordinal);

        // Consumers drain and settle as usual.
        await client.SubscribeAsync("orders", prefetch: 100);
        for (var i = 0; i < 20; i++)
        {
            var delivery = await client.NextDeliveryAsync();
            Assert.Empty((await client.AckAsync(delivery.DeliveryId)).Failures);
        }

        disk.Free();
        Assert.True(await EngineHarness.EventuallyAsync(async () =>
            (await client.RequestAsync(new Publish("orders", null, new PublishMessage(Bytes("resumed"))), FrameFlags.Confirm)).Message is PublishOk));
        await broker.AssertBecomesReadyAsync();
    }

    [Fact(Timeout = 120_000)]
    public async Task A_disk_that_fills_up_fails_the_publish_at_once_with_resource_exhausted_and_writing_resumes_when_space_returns()
    {
        using var disk = SmallDisk.TryMount(32, output);
        if (disk is null)
        {
            return;
        }

        await using var broker = await TestBroker.StartAsync(o =>
        {
            o.Storage.MinFreeBytes = 0;
            o.Storage.SegmentBytes = 1 << 20;
        }, dataDir: disk.Path("data"));
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("orders");
        var payload = new byte[64 << 10];
        var confirmed = new List<ulong>();
        disk.FillLeaving(2L << 20);
        Error? refused = null;
        for (var i = 0; i < 200 && refused is null; i++)
        {
            var frame = await client.RequestAsync(new Publish("orders", null, new PublishMessage(payload)), FrameFlags.Confirm, TimeSpan.FromSeconds(10));
            if (frame.Message is PublishOk ok)
            {
                confirmed.Add(ok.Results[0].Offset);
            }
            else
            {
                refused = Assert.IsType<Error>(frame.Message);
            }
        }

        Assert.True(refused is not null, $"{confirmed.Count} publishes confirmed, none refused");
        Assert.True(refused.Code == (ushort)ErrorCode.ResourceExhausted && refused.Retryable, $"refused with {refused.Code}: {refused.Message}");
        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        var ready = await http.GetAsync("/readyz");
        Assert.True(ready.StatusCode == HttpStatusCode.ServiceUnavailable, await ready.Content.ReadAsStringAsync());

        disk.Free();
        Assert.True(await EngineHarness.EventuallyAsync(async () =>
            (await client.RequestAsync(new Publish("orders", null, new PublishMessage(Bytes("resumed"))), FrameFlags.Confirm)).Message is PublishOk));

        await broker.RestartAsync(o => o.Storage.MinFreeBytes = 0);
        await using var after = await broker.ConnectAsync();
        await after.SubscribeAsync("orders", prefetch: 1000, ackMode: AckMode.Auto);

        // The queue holds at least the message published after the disk was freed. The first delivery of a
        // restarted broker can take a few hundred milliseconds while other tests load the machine, so it is
        // awaited; then the rest, until the queue is quiet.
        var offsets = new HashSet<ulong> { (await after.NextDeliveryAsync()).Offset };
        while (!await after.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(300)))
        {
            offsets.Add((await after.NextDeliveryAsync()).Offset);
        }

        Assert.Subset(offsets, confirmed.ToHashSet());
        await broker.AssertBecomesReadyAsync();
    }

    /// <summary>A small tmpfs, so a test can fill a disk. Mounting needs root; elsewhere the test says so and
    /// does nothing.</summary>
    private sealed class SmallDisk : IDisposable
    {
        private readonly string _mountPoint;

        private SmallDisk(string mountPoint) => _mountPoint = mountPoint;

        public static SmallDisk? TryMount(int megabytes, ITestOutputHelper output)
        {
            var mountPoint = TempDirectory.Create("small-disk");
            if (!OperatingSystem.IsLinux() || Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", mountPoint) != 0)
            {
                output.WriteLine("skipped: mounting a small tmpfs needs Linux and root");
                TempDirectory.Delete(mountPoint);
                return null;
            }

            return new SmallDisk(mountPoint);
        }

        public string Path(string name) => System.IO.Path.Combine(_mountPoint, name);

        private string Filler => Path("filler");

        /// <summary>Grows a filler file until about <paramref name="bytes"/> are left free.</summary>
        public void FillLeaving(long bytes)
        {
            var free = new DriveInfo(_mountPoint).AvailableFreeSpace;
            using var file = File.OpenHandle(Filler, FileMode.Append, FileAccess.Write);
            var chunk = new byte[1 << 20];
            var offset = RandomAccess.GetLength(file);
            for (var toWrite = free - bytes; toWrite > 0; toWrite -= chunk.Length)
            {
                RandomAccess.Write(file, chunk.AsSpan(0, (int)Math.Min(chunk.Length, toWrite)), offset);
                offset += Math.Min(chunk.Length, toWrite);
            }
        }

        public void Free() => File.Delete(Filler);

        public void Dispose()
        {
            Run("umount", "-l", _mountPoint);
            TempDirectory.Delete(_mountPoint);
        }

        private static int Run(string command, params string[] arguments)
        {
            try
            {
                var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true };
                foreach (var argument in arguments)
                {
                    start.ArgumentList.Add(argument);
                }

                using var process = Process.Start(start)!;
                process.WaitForExit(10_000);
                return process.HasExited ? process.ExitCode : -1;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return -1;
            }
        }
    }
}
