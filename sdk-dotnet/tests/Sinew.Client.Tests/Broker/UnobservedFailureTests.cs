// Against the real broker: a publish or settlement that fails while nobody awaits its task is logged at Warning
// through the client's logger, once per failure; a failure the application awaited is not.
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(ConsumingBroker.Name)]
public class UnobservedFailureTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 30_000)]
    public async Task A_publish_whose_failed_confirmation_nobody_awaits_is_logged_once_at_warning()
    {
        var logs = new RecordingLoggerProvider();
        using var loggerFactory = logs.CreateFactory();
        await using var client = await broker.ConnectAsync(o => o.LoggerFactory = loggerFactory);
        var missing = RealBroker.UniqueTopic("unobserved-publish");
        await using var publisher = client.CreatePublisher(missing);

        // Awaited failures are seen by the application: nothing to report.
        var awaited = await publisher.PublishWithConfirmationAsync(OutgoingMessage.FromText("awaited"));
        Assert.Equal("not_found", (await Assert.ThrowsAsync<BrokerException>(async () => await awaited)).Code);
        Assert.Equal("not_found", (await Assert.ThrowsAsync<BrokerException>(() => publisher.PublishAsync(OutgoingMessage.FromText("awaited")))).Code);

        // Dropped: a pipelined confirmation, and the task of a confirmed publish.
        var droppedConfirmation = await DropConfirmationAsync(publisher);
        var droppedPublish = DropPublish(publisher);
        await FailedAsync(droppedConfirmation);
        await FailedAsync(droppedPublish);

        var reported = await CollectUntilReportedAsync(logs, 2);
        Assert.Equal(2, reported.Count);
        Assert.All(reported, entry =>
        {
            Assert.Equal(LogLevel.Warning, entry.Level);
            Assert.Equal(SinewDiagnostics.LoggerCategory, entry.Category);
            Assert.Equal("not_found", Assert.IsType<BrokerException>(entry.Exception).Code);
            Assert.Contains(missing, entry.Message, StringComparison.Ordinal);
        });
    }

    [Fact(Timeout = 30_000)]
    public async Task A_settlement_whose_failure_nobody_awaits_is_logged_once_at_warning()
    {
        var logs = new RecordingLoggerProvider();
        using var loggerFactory = logs.CreateFactory();
        await using var client = await broker.ConnectAsync(o => o.LoggerFactory = loggerFactory);
        var topic = RealBroker.UniqueTopic("unobserved-ack");
        await client.DeclareQueueAsync(topic);
        await client.CreatePublisher(topic).PublishBatchAsync([OutgoingMessage.FromText("dropped"), OutgoingMessage.FromText("awaited")]);
        var subscription = await client.SubscribeAsync(topic);
        var deliveries = await RealBroker.ReceiveManyAsync(subscription, 2);

        // Once the subscription is gone the broker no longer holds the deliveries: settling them fails.
        await subscription.CloseAsync();
        var stale = await Assert.ThrowsAsync<BrokerException>(() => deliveries[1].AckAsync());
        Assert.Equal("stale_delivery", stale.Code);
        var dropped = DropAck(deliveries[0]);
        await FailedAsync(dropped);

        var reported = Assert.Single(await CollectUntilReportedAsync(logs, 1));
        Assert.Equal(LogLevel.Warning, reported.Level);
        Assert.Equal("stale_delivery", Assert.IsType<BrokerException>(reported.Exception).Code);
        Assert.Contains($"delivery {deliveries[0].DeliveryId}", reported.Message, StringComparison.Ordinal);
    }

    // The helpers that start the dropped operations are not inlined, so no local of the test keeps the task alive.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference<Task>> DropConfirmationAsync(Publisher publisher)
    {
        var confirmation = await publisher.PublishWithConfirmationAsync(OutgoingMessage.FromText("dropped"));
        return new WeakReference<Task>(confirmation.Completion);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference<Task> DropPublish(Publisher publisher) => new(publisher.PublishAsync(OutgoingMessage.FromText("dropped")));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference<Task> DropAck(Delivery delivery) => new(delivery.AckAsync());

    /// <summary>Waits until the dropped task has failed (or is already gone), without holding on to it.</summary>
    private static Task FailedAsync(WeakReference<Task> dropped) =>
        TestClients.EventuallyAsync(() => IsFaultedOrCollected(dropped), "the dropped operation failed", TimeSpan.FromSeconds(10));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool IsFaultedOrCollected(WeakReference<Task> dropped) => !dropped.TryGetTarget(out var task) || task.IsFaulted;

    /// <summary>Collects garbage until <paramref name="expected"/> unobserved failures were reported, then a few times
    /// more, so that a second report of the same failure would show.</summary>
    private static async Task<List<RecordingLoggerProvider.Entry>> CollectUntilReportedAsync(RecordingLoggerProvider logs, int expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (Reported(logs).Count < expected && DateTime.UtcNow < deadline)
        {
            Collect();
            await Task.Delay(20);
        }

        for (var i = 0; i < 3; i++)
        {
            Collect();
            await Task.Delay(20);
        }

        return Reported(logs);
    }

    private static List<RecordingLoggerProvider.Entry> Reported(RecordingLoggerProvider logs) =>
        [.. logs.Entries.Where(e => e.Id.Id == SinewLogEvents.UnobservedFailure)];

    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
