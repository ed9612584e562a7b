// A dropped connection is an error that belongs to no operation: it reaches SinewClientOptions.OnError as a
// ConnectionLostException, as in the TypeScript and Python clients. The client's own close is not reported.
using System.Collections.Concurrent;
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(OwnBrokers.Name)]
public class ConnectionLossTests
{
    [Fact(Timeout = 60_000)]
    public async Task Losing_the_connection_reports_ConnectionLost_to_OnError_and_closing_the_client_reports_nothing()
    {
        await using var broker = await SinewBrokerFixture.StartAsync();

        var closedErrors = new ConcurrentQueue<SinewException>();
        var closedByItself = await broker.ConnectAsync(o => o.OnError = closedErrors.Enqueue);
        await closedByItself.DisposeAsync();

        var lost = new TaskCompletionSource<SinewException>(TaskCreationOptions.RunContinuationsAsynchronously);
        var callbackThread = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var client = await broker.ConnectAsync(o => o.OnError = error =>
        {
            callbackThread.TrySetResult(Thread.CurrentThread.IsThreadPoolThread);
            lost.TrySetResult(error);
        });

        await broker.StopAsync();

        var error = await lost.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var connectionLost = Assert.IsType<ConnectionLostException>(error);
        Assert.Equal("connection_lost", connectionLost.Code);
        Assert.True(connectionLost.IsRetryable);
        Assert.True(await callbackThread.Task);
        Assert.Null(client.ServerInfo);
        Assert.Empty(closedErrors);
    }
}
