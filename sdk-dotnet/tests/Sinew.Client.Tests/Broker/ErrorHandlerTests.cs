// SinewClientOptions.OnError against the real broker: a failed unconfirmed publish is an error that belongs to no
// operation; it reaches the handler off the connection's read loop, and whatever the handler throws is logged and
// swallowed.
using Microsoft.Extensions.Logging;
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(PublishingBroker.Name)]
public class ErrorHandlerTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 20_000)]
    public async Task The_error_handler_runs_off_the_read_loop_and_what_it_throws_is_logged_and_swallowed()
    {
        var logs = new RecordingLoggerProvider();
        using var loggerFactory = logs.CreateFactory();
        var entered = new TaskCompletionSource<SinewException>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new ManualResetEventSlim();
        var failure = new InvalidOperationException("a faulty handler must not hurt the client");
        await using var client = await broker.ConnectAsync(o =>
        {
            o.LoggerFactory = loggerFactory;
            o.OnError = error =>
            {
                entered.TrySetResult(error);

                // Blocks its thread: were it the read loop, no reply could reach the client until it returns.
                release.Wait(TimeSpan.FromSeconds(10));
                throw failure;
            };
        });

        await client.CreatePublisher(RealBroker.UniqueTopic("nowhere")).PublishUnconfirmedAsync(OutgoingMessage.FromText("lost"));
        Assert.Equal("not_found", (await entered.Task.WaitAsync(TimeSpan.FromSeconds(5))).Code);

        // While the handler holds its thread, replies still arrive.
        var somewhere = RealBroker.UniqueTopic("somewhere");
        var declared = await client.DeclareQueueAsync(somewhere).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(declared.Created);
        release.Set();

        await TestClients.EventuallyAsync(() => logs.Entries.Any(e => e.Id.Id == SinewLogEvents.ErrorHandlerFailed), "the handler's exception was logged");
        var logged = Assert.Single(logs.Entries, e => e.Id.Id == SinewLogEvents.ErrorHandlerFailed);
        Assert.Equal(LogLevel.Error, logged.Level);
        Assert.Same(failure, logged.Exception);
        Assert.True(client.IsConnected);
        Assert.False((await client.DeclareQueueAsync(somewhere)).Created);
    }

    [Fact(Timeout = 20_000)]
    public async Task A_failed_unconfirmed_publish_is_reported_to_the_error_handler()
    {
        var reported = new TaskCompletionSource<SinewException>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var client = await broker.ConnectAsync(o => o.OnError = e =>
        {
            reported.TrySetResult(e);
            throw new InvalidOperationException("a faulty handler must not hurt the client");
        });
        await client.CreatePublisher(RealBroker.UniqueTopic("nowhere")).PublishUnconfirmedAsync(OutgoingMessage.FromText("lost"));

        var error = Assert.IsType<BrokerException>(await reported.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal("not_found", error.Code);
        await client.DeclareQueueAsync(RealBroker.UniqueTopic("somewhere"));
        Assert.True(client.IsConnected);
    }
}
