// Closing: the Unsubscribe and Goodbye frames it sends, a bounded wait for an answer that never comes, and nothing left
// running afterwards. What a closed client refuses, and closing while reconnecting, run against the real broker behind
// the fault proxy (Broker/CloseThroughProxyTests.cs).
using System.Diagnostics;
using Sinew.Client.Tests.Fakes;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Engine;

public class CloseTests
{
    [Fact(Timeout = 10_000)]
    public async Task Close_sends_goodbye_and_leaves_no_background_work_running()
    {
        await using var broker = new FakeBroker { AnswerHello = ScriptedReplies.HelloOk(heartbeatMs: 50) };
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        var client = await TestClients.ConnectAsync(broker, o => o.Heartbeat = TimeSpan.FromMilliseconds(50));
        await client.DeclareQueueAsync("orders");
        var connection = client.CurrentConnection!;

        await client.CloseAsync();

        var goodbye = await broker.WaitForAsync<Wire.Goodbye>();
        Assert.NotEqual(0u, goodbye.RequestId);
        Assert.True(connection.Completion.IsCompletedSuccessfully, "the read, write and heartbeat loops have stopped");
        Assert.False(client.IsConnected);
        Assert.IsType<ClientClosedException>(connection.EndReason);
        await broker.Connections[0].Closed.WaitAsync(TimeSpan.FromSeconds(2));

        // Nothing keeps talking: no more pings once closed.
        var frames = broker.Received.Count;
        await Task.Delay(200);
        Assert.Equal(frames, broker.Received.Count);
    }

    [Fact(Timeout = 10_000)]
    public async Task Close_unsubscribes_before_saying_goodbye()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        broker.Answer<Wire.Subscribe>(ScriptedReplies.SubscribeOk);
        broker.Answer<Wire.Unsubscribe>(_ => Wire.Ok.Instance);
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders", new QueueOptions { Partitions = 2 });
        await using var subscription = await client.SubscribeAsync("orders");
        await client.CloseAsync();

        var ops = broker.Received.Select(f => f.Message).Where(m => m is Wire.Unsubscribe or Wire.Goodbye).ToList();
        Assert.Equal(3, ops.Count);
        Assert.IsType<Wire.Goodbye>(ops[^1]);
    }

    [Fact(Timeout = 10_000)]
    public async Task Close_is_bounded_when_the_broker_never_answers_goodbye()
    {
        await using var broker = new FakeBroker();
        broker.On<Wire.Goodbye>((_, _) => { });
        var client = await TestClients.ConnectAsync(broker, o => o.CloseTimeout = TimeSpan.FromMilliseconds(200));
        var clock = Stopwatch.StartNew();
        await client.CloseAsync();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"close took {clock.Elapsed}");
        await broker.Connections[0].Closed.WaitAsync(TimeSpan.FromSeconds(2));
    }

    [Fact(Timeout = 10_000)]
    public async Task Requests_waiting_when_the_client_closes_fail_with_client_closed()
    {
        await using var broker = new FakeBroker();
        broker.On<Wire.DeclareQueue>((_, _) => { });
        var client = await TestClients.ConnectAsync(broker);
        var waiting = client.DeclareQueueAsync("orders");
        await broker.WaitForAsync<Wire.DeclareQueue>();
        await client.CloseAsync();
        await Assert.ThrowsAsync<ClientClosedException>(() => waiting);
    }

    [Fact(Timeout = 10_000)]
    public async Task Closing_twice_and_closing_a_client_that_never_connected_are_harmless()
    {
        await using var broker = new FakeBroker();
        var client = await TestClients.ConnectAsync(broker);
        await Task.WhenAll(client.CloseAsync(), client.CloseAsync());
        await client.DisposeAsync();
        Assert.Single(broker.ReceivedOf<Wire.Goodbye>());

        var lazy = new SinewClient(TestClients.Options(broker.Endpoint));
        await lazy.DisposeAsync();
        lazy.Dispose();
        Assert.Equal(1, broker.AcceptedConnections);
    }
}
