// The verification at start: every partition is recovered and checked in the background after a restart,
// /readyz says ready only once that is done and nothing is quarantined, clients are served meanwhile, and
// shutdown does not wait for it.
using System.Net;
using System.Text;
using Sinew.Broker.Tests.Support;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Tests;

public class StartupVerificationTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Fact(Timeout = 60_000)]
    public async Task Readyz_is_not_ready_until_every_partition_is_verified_and_a_queue_used_before_its_turn_is_loaded_on_demand()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("first", partitions: 2);
            await client.DeclareAsync("second");
            await client.PublishAsync("first", Bytes("one"), partition: 0);
            await client.PublishAsync("second", Bytes("two"));
        }

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await broker.RestartAsync(verificationGate: gate.Task);
        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        var (status, problems) = await DamagedQueueFileTests.ReadinessAsync(http);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        // The broker's own $dead-letters queue (one partition) is verified like the rest.
        Assert.Contains("4 of 4 partition(s), in 3 queue(s), not yet verified", problems);
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("sinew_partitions 4", metrics, StringComparison.Ordinal);
        Assert.Contains("sinew_partitions_verified 0", metrics, StringComparison.Ordinal);
        Assert.Equal("ok\n", await http.GetStringAsync("/healthz"));

        // A client does not wait for the verification: the queue it uses is recovered for it.
        await using var consumer = await broker.ConnectAsync();
        await consumer.SubscribeAsync("first");
        Assert.Equal("one", Encoding.UTF8.GetString((await consumer.NextDeliveryAsync()).Payload.Span));
        (status, problems) = await DamagedQueueFileTests.ReadinessAsync(http);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("2 of 4 partition(s), in 2 queue(s), not yet verified", problems);

        gate.SetResult();
        await broker.Host.Context.Verification.Completion;
        Assert.Equal(HttpStatusCode.OK, (await DamagedQueueFileTests.ReadinessAsync(http)).Status);
        metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("sinew_partitions_verified 4", metrics, StringComparison.Ordinal);
        Assert.Contains("sinew_queues_verified 3", metrics, StringComparison.Ordinal);
        Assert.Contains("sinew_queues 3", metrics, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Corruption_found_by_the_verification_makes_readyz_not_ready_before_any_client_uses_the_queue()
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
        await DataFiles.FlipByteAsync(DataFiles.LastSegment(broker.DataDir, "damaged"), "payload-0003", 8);
        await broker.RestartAsync();

        // No client touches either queue: the verification finds the damage on its own.
        await broker.Host.Context.Verification.Completion;
        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        var (status, problems) = await DamagedQueueFileTests.ReadinessAsync(http);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        var problem = Assert.Single(problems);
        Assert.StartsWith("partition 0 of queue damaged is quarantined: corrupt log", problem, StringComparison.Ordinal);
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("sinew_partitions_quarantined 1", metrics, StringComparison.Ordinal);
        Assert.Contains("sinew_partitions_verified 3", metrics, StringComparison.Ordinal); // $dead-letters too
        Assert.Contains(broker.Log.Lines, line => line.Contains("Partition 0 of queue damaged is quarantined", StringComparison.Ordinal));

        await using var after = await broker.ConnectAsync();
        Assert.Equal(10UL, (await after.PublishAsync("healthy", Bytes("still fine"))).Offset);
    }

    [Fact(Timeout = 30_000)]
    public async Task Shutdown_stops_a_verification_that_has_not_finished()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("orders");
        }

        var neverOpened = new TaskCompletionSource();
        await broker.RestartAsync(verificationGate: neverOpened.Task);
        Assert.False(broker.Host.Context.Verification.Completion.IsCompleted);
        await broker.Host.StopAsync();
        Assert.True(broker.Host.Context.Verification.Completion.IsCompletedSuccessfully);
    }
}
