// Requests against the scripted fake: what a declaration sends, correlation by id, the request timeout, cancellation,
// late, wrong and undecodable replies, and pushed frames. A conflicting declaration and reading the topology run
// against the real broker (Broker/RequestsOnRealBrokerTests.cs).
using Sinew.Client.Tests.Fakes;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Engine;

public class RequestTests
{
    [Fact(Timeout = 10_000)]
    public async Task Declare_returns_the_effective_settings_and_teaches_the_partition_count()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d, created: true));
        await using var client = await TestClients.ConnectAsync(broker);
        var info = await client.DeclareQueueAsync("orders", new QueueOptions
        {
            Group = "eu",
            Partitions = 3,
            MaxRetries = 2,
            DeadLetter = DeadLetterPolicy.ToQueue("orders.dead", "default"),
            DefaultTtl = TimeSpan.FromMinutes(1),
            Lease = TimeSpan.FromMilliseconds(1500.2),
        });

        Assert.True(info.Created);
        Assert.Equal(("orders", "eu", 3, 2), (info.Topic, info.Group, info.Partitions, info.MaxRetries));
        Assert.Equal(DeadLetterKind.Queue, info.DeadLetter.Kind);
        Assert.Equal(TimeSpan.FromMinutes(1), info.DefaultTtl);
        var declare = Assert.Single(broker.ReceivedOf<Wire.DeclareQueue>());
        Assert.Equal(new Wire.DeclareQueue("orders", "eu", 3, new Wire.DeadLetterPolicy(Wire.DeadLetterKind.Queue, "orders.dead", null), 2, 60_000, 1501),
            declare);
        Assert.True(client.Core.Topology.TryGet(new Routing.QueueKey("orders", "eu"), out var route));
        Assert.Equal(3u, route.Partitions);
    }

    [Fact(Timeout = 10_000)]
    public async Task An_unanswered_request_fails_with_a_timeout_after_the_request_timeout()
    {
        await using var broker = new FakeBroker();
        broker.On<Wire.DeclareQueue>((_, _) => { });
        await using var client = await TestClients.ConnectAsync(broker, o => o.RequestTimeout = TimeSpan.FromMilliseconds(300));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<OperationTimeoutException>(() => client.DeclareQueueAsync("orders"));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(290), $"failed after {clock.Elapsed}");
        Assert.Equal("timeout", error.Code);
        Assert.True(error.IsRetryable);
        Assert.Contains("Declare queue 'orders'", error.Message, StringComparison.Ordinal);
        Assert.True(client.IsConnected);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_reply_that_arrives_after_the_timeout_is_ignored_and_the_connection_stays_usable()
    {
        // The first declaration is answered (created) only after the client gave up on it; the second is answered at
        // once (not created), so a client that took the late reply for the second would report created.
        ReceivedFrame? withheld = null;
        await using var broker = new FakeBroker();
        broker.On<Wire.DeclareQueue>((f, declare) =>
        {
            if (withheld is null)
            {
                withheld = f;
                return;
            }

            f.Reply(ScriptedReplies.DeclareQueueOk(declare, created: false));
        });
        await using var client = await TestClients.ConnectAsync(broker, o => o.RequestTimeout = TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAsync<OperationTimeoutException>(() => client.DeclareQueueAsync("orders"));
        withheld!.Reply(ScriptedReplies.DeclareQueueOk((Wire.DeclareQueue)withheld.Message, created: true));

        var info = await client.DeclareQueueAsync("orders");
        Assert.False(info.Created);
        Assert.Equal(1, broker.AcceptedConnections);
    }

    [Fact(Timeout = 10_000)]
    public async Task Cancelling_stops_the_wait_without_harming_the_connection()
    {
        await using var broker = new FakeBroker();
        broker.On<Wire.DeclareQueue>((f, declare) =>
        {
            if (declare.Topic != "slow")
            {
                f.Reply(ScriptedReplies.DeclareQueueOk(declare));
            }
        });
        await using var client = await TestClients.ConnectAsync(broker);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.DeclareQueueAsync("slow", cancellationToken: cancel.Token));
        await client.DeclareQueueAsync("fast");
        Assert.True(client.IsConnected);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_token_cancelled_before_the_call_sends_nothing()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.DeclareQueueAsync("orders", cancellationToken: new CancellationToken(true)));
        Assert.Empty(broker.ReceivedOf<Wire.DeclareQueue>());
    }

    [Fact(Timeout = 10_000)]
    public async Task Requests_in_flight_together_carry_distinct_non_zero_ids_and_get_their_own_replies()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        await using var client = await TestClients.ConnectAsync(broker);
        var infos = await Task.WhenAll(Enumerable.Range(1, 20).Select(i => client.DeclareQueueAsync($"q{i}", new QueueOptions { Partitions = i })));
        Assert.Equal(Enumerable.Range(1, 20), infos.Select(i => i.Partitions));
        var ids = broker.Received.Where(f => f.Message is Wire.DeclareQueue).Select(f => f.RequestId).ToList();
        Assert.DoesNotContain(0u, ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact(Timeout = 10_000)]
    public async Task A_reply_of_the_wrong_kind_is_a_protocol_error()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.DeclareQueue>(_ => new Wire.PublishOk([]));
        await using var client = await TestClients.ConnectAsync(broker);
        var error = await Assert.ThrowsAsync<ProtocolException>(() => client.DeclareQueueAsync("orders"));
        Assert.Equal("protocol_error", error.Code);
        Assert.Contains("PublishOk", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 10_000)]
    public async Task An_undecodable_frame_from_the_broker_closes_the_connection_and_fails_what_was_waiting()
    {
        await using var broker = new FakeBroker();
        broker.On<Wire.DeclareQueue>((f, _) =>
        {
            // A valid header around a body that is not MessagePack.
            var bytes = new byte[17];
            new Protocol.Framing.FrameHeader(1, Protocol.Framing.Opcode.Ok, Protocol.Framing.FrameFlags.None, f.RequestId, 1).Write(bytes);
            bytes[16] = 0xC1;
            f.Connection.SendBytes(bytes);
        });
        await using var client = await TestClients.ConnectAsync(broker);
        var error = await Assert.ThrowsAsync<ConnectionLostException>(() => client.DeclareQueueAsync("orders"));
        Assert.IsType<ProtocolException>(error.InnerException);
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client dropped the connection");
    }

    [Fact(Timeout = 10_000)]
    public async Task Frames_with_an_unknown_opcode_are_skipped()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        await using var client = await TestClients.ConnectAsync(broker);
        var frame = new byte[17];
        new Protocol.Framing.FrameHeader(1, (Protocol.Framing.Opcode)0x7E, Protocol.Framing.FrameFlags.None, 0, 1).Write(frame);
        frame[16] = 0x90;
        broker.Connections[0].SendBytes(frame);
        await client.DeclareQueueAsync("orders");
        Assert.True(client.IsConnected);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_pushed_topology_is_applied_and_acknowledged()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        broker.Connections[0].Send(new Wire.Topology(42, [], [new Wire.ChannelInfo(Wire.ChannelKind.Queue, "pushed", null, 6, 42)]));
        var ack = await broker.WaitForAsync<Wire.TopologyAck>();
        Assert.Equal(42UL, ((Wire.TopologyAck)ack.Message).Generation);
        Assert.True(client.Core.Topology.TryGet(new Routing.QueueKey("pushed", null), out var route));
        Assert.Equal(6u, route.Partitions);
    }
}
