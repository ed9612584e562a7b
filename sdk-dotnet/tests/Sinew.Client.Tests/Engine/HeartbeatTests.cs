// Heartbeats both ways: answering the broker's Ping, pinging when idle, and not judging silence while reading is
// paused, with intervals shorter than a real broker accepts. A silent broker declared dead runs against the real broker
// behind the fault proxy (Broker/FaultsThroughProxyTests.cs).
using Sinew.Client.Tests.Fakes;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Engine;

[Collection(TimingSensitive.Name)]
public class HeartbeatTests
{
    [Fact(Timeout = 10_000)]
    public async Task A_ping_from_the_broker_is_answered_with_a_pong_carrying_its_request_id()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        broker.Connections[0].SendBytes(ScriptedReplies.VectorFrame("ping/basic", 77));
        var pong = await broker.WaitForAsync<Wire.Pong>();
        Assert.Equal(77u, pong.RequestId);
    }

    [Fact(Timeout = 10_000)]
    public async Task An_idle_client_pings_at_the_negotiated_interval()
    {
        // 400 ms rather than less: the client gives up on a peer silent for three intervals, and on a loaded machine
        // the fake broker's pongs can lag by a few hundred milliseconds.
        await using var broker = new FakeBroker { AnswerHello = ScriptedReplies.HelloOk(heartbeatMs: 400) };
        await using var client = await TestClients.ConnectAsync(broker, o => o.Heartbeat = TimeSpan.FromSeconds(1));
        var ping = await broker.WaitForAsync<Wire.Ping>();
        Assert.NotEqual(0u, ping.RequestId);
        await TestClients.EventuallyAsync(() => broker.ReceivedOf<Wire.Ping>().Count >= 3 || !client.IsConnected, "three pings were sent",
            TimeSpan.FromSeconds(8));
        Assert.True(client.IsConnected, "the client dropped the connection although every ping was answered");
        Assert.True(broker.ReceivedOf<Wire.Ping>().Count >= 3);
        Assert.True(client.IsConnected);
    }

    [Fact(Timeout = 10_000)]
    public async Task No_pings_are_sent_when_the_broker_disables_heartbeats()
    {
        await using var broker = new FakeBroker { AnswerHello = ScriptedReplies.HelloOk(heartbeatMs: 0) };
        await using var client = await TestClients.ConnectAsync(broker, o => o.Heartbeat = TimeSpan.FromMilliseconds(50));
        await Task.Delay(400);
        Assert.Empty(broker.ReceivedOf<Wire.Ping>());
        Assert.True(client.IsConnected);
    }

    [Fact(Timeout = 10_000)]
    public async Task Silence_is_not_judged_while_the_client_has_stopped_reading_for_a_slow_consumer()
    {
        // The broker pushes a backlog of a thousand 1 KiB messages to an auto-ack subscription at once.
        await using var broker = new FakeBroker { AnswerHello = ScriptedReplies.HelloOk(heartbeatMs: 100) };
        broker.Answer<Wire.TopologyRequest>(_ => ScriptedReplies.Topology(ScriptedReplies.Queue("orders", 1)));
        broker.Answer<Wire.Subscribe>(ScriptedReplies.SubscribeOk);
        broker.Answer<Wire.Unsubscribe>(_ => Wire.Ok.Instance);
        await using var client = await TestClients.ConnectAsync(broker);
        await using var subscription = await client.SubscribeAsync("orders", new SubscribeOptions { AckMode = AckMode.Auto, Prefetch = 10 });
        var payload = new byte[1024];
        for (var offset = 0UL; offset < 1000; offset += 10)
        {
            broker.Connections[0].Send(ScriptedReplies.Deliver(ScriptedReplies.SubscriptionOf(0),
                [.. Enumerable.Range(0, 10).Select(i => new Wire.DeliveredMessage(offset + (ulong)i + 1, 0, offset + (ulong)i, 1, 0, payload))]));
        }

        await TestClients.EventuallyAsync(() => client.CurrentConnection!.IsReadingPaused, "reading paused");

        // Far longer than three intervals without reading: the broker's frames wait unread, which is no sign of death.
        await Task.Delay(700);
        Assert.True(client.IsConnected);
        Assert.Equal(1000, (await TestClients.TakeAsync(subscription, 1000)).Count);
    }
}
