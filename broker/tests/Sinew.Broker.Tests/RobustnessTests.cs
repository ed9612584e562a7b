// Hostile input: every malformed frame of the shared negative vectors, random garbage, slow and
// oversized frames. Each gets a typed error and/or a closed connection; the broker keeps serving others.
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Sinew.Broker.Tests.Support;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Tests;

public class RobustnessTests
{
    private static JsonObject NegativeFile()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "wire-vectors", "frames", "negative.json");
            if (File.Exists(path))
            {
                return JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            }
        }

        throw new FileNotFoundException("wire-vectors/frames/negative.json");
    }

    public static TheoryData<string> NegativeIds() =>
        new(NegativeFile()["vectors"]!.AsArray().Select(v => (string)v!["id"]!));

    [Theory(Timeout = 30_000)]
    [MemberData(nameof(NegativeIds))]
    public async Task Every_negative_vector_gets_its_typed_error_and_the_broker_keeps_serving(string id)
    {
        var vector = NegativeFile()["vectors"]!.AsArray().Single(v => (string)v!["id"]! == id)!;
        var bytes = Convert.FromHexString((string)vector["hex"]!);
        var kind = (string)vector["error"]!;
        await using var broker = await TestBroker.StartAsync();
        await using (var client = await broker.ConnectAsync())
        {
            await client.SendRawAsync(bytes);
            switch (kind)
            {
                case "truncated_header" or "truncated_body":
                    // An incomplete frame: the broker waits for the rest and must not answer anything yet.
                    Assert.True(await client.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(200)));
                    break;
                case "unknown_opcode":
                    var unknown = await client.NextPushAsync();
                    Assert.Equal((ushort)ErrorCode.UnknownOp, Assert.IsType<Error>(unknown.Message).Code);
                    await client.CallAsync<Pong>(Ping.Instance);
                    break;
                default:
                    var reply = await client.NextPushAsync();
                    var expected = kind switch
                    {
                        "unsupported_version" => ErrorCode.ProtocolMismatch,
                        "frame_too_large" => ErrorCode.FrameTooLarge,
                        _ => ErrorCode.BadFrame,
                    };
                    Assert.Equal((ushort)expected, Assert.IsType<Error>(reply.Message).Code);
                    await client.WaitClosedAsync();
                    break;
            }
        }

        await AssertStillServesAsync(broker);
    }

    [Fact(Timeout = 60_000)]
    public async Task Random_garbage_closes_the_connection_and_the_broker_keeps_serving()
    {
        await using var broker = await TestBroker.StartAsync();
        var random = new Random(5);
        for (var i = 0; i < 30; i++)
        {
            await using var client = await RawClient.ConnectAsync(broker.Endpoint, handshake: i % 2 == 0);
            // At least a header's worth of bytes that cannot start a frame: shorter input is a frame still
            // arriving, which the broker rightly waits for.
            var garbage = new byte[random.Next(FrameHeader.Size, 4096)];
            random.NextBytes(garbage);
            garbage[0] = garbage[0] == FrameHeader.Magic0 ? (byte)0 : garbage[0];
            await client.SendRawAsync(garbage);
            var reply = await client.NextPushAsync();
            Assert.Equal((ushort)ErrorCode.BadFrame, Assert.IsType<Error>(reply.Message).Code);
            await client.WaitClosedAsync(TimeSpan.FromSeconds(5));
        }

        await AssertStillServesAsync(broker);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_client_trickling_a_frame_slowly_is_cut_off_and_others_are_unaffected()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Connection.HandshakeTimeoutMs = 1000);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(broker.Endpoint);
        var stream = tcp.GetStream();
        var hello = FrameEncoder.EncodeToArray(new Hello(1, 1, "slow", "1"), 1);
        var closed = false;
        for (var i = 0; i < hello.Length && !closed; i++)
        {
            try
            {
                await stream.WriteAsync(hello.AsMemory(i, 1));
                await Task.Delay(200);
                closed = tcp.Client.Poll(0, SelectMode.SelectRead) && tcp.Client.Available == 0;
            }
            catch (IOException)
            {
                closed = true;
            }
        }

        Assert.True(closed, "the broker waited for a frame that arrived one byte every 200 ms");
        await AssertStillServesAsync(broker);
    }

    [Fact(Timeout = 30_000)]
    public async Task An_oversized_frame_is_refused_from_its_header_before_the_body_is_sent()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Limits.MaxFrameBytes = 1 << 20);
        await using var client = await broker.ConnectAsync();
        var header = new byte[FrameHeader.Size];
        new FrameHeader(1, Opcode.Publish, FrameFlags.None, 9, 64u << 20).Write(header);
        await client.SendRawAsync(header);
        var reply = await client.NextPushAsync();
        Assert.Equal((ushort)ErrorCode.FrameTooLarge, Assert.IsType<Error>(reply.Message).Code);
        await client.WaitClosedAsync();
        await AssertStillServesAsync(broker);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_frame_only_brokers_send_is_a_protocol_violation()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.FailAsync(new PublishOk([new PublishResult(0, 0, false)]), ErrorCode.ProtocolViolation);
        await client.WaitClosedAsync();
    }

    [Fact(Timeout = 30_000)]
    public async Task Connections_beyond_the_limit_are_refused_with_resource_exhausted()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Limits.MaxConnections = 2);
        await using var a = await broker.ConnectAsync();
        await using var b = await broker.ConnectAsync();
        await using var c = await RawClient.ConnectAsync(broker.Endpoint, handshake: false);
        var refusal = await c.NextPushAsync();
        Assert.Equal((ushort)ErrorCode.ResourceExhausted, Assert.IsType<Error>(refusal.Message).Code);
        await c.WaitClosedAsync();
    }

    [Fact(Timeout = 30_000)]
    public async Task An_unknown_op_before_the_handshake_is_a_protocol_violation_that_closes()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (var client = await RawClient.ConnectAsync(broker.Endpoint, handshake: false))
        {
            var frame = new byte[FrameHeader.Size + 1];
            new FrameHeader(1, (Opcode)0x7F, FrameFlags.None, 3, 1).Write(frame);
            frame[FrameHeader.Size] = 0xC0;
            await client.SendRawAsync(frame);
            var reply = await client.NextPushAsync();
            Assert.Equal((ushort)ErrorCode.ProtocolViolation, Assert.IsType<Error>(reply.Message).Code);
            await client.WaitClosedAsync();
        }

        await AssertStillServesAsync(broker);
    }

    [Fact(Timeout = 60_000)]
    public async Task Connections_arriving_at_once_never_overshoot_the_limit()
    {
        const int Limit = 4;
        await using var broker = await TestBroker.StartAsync(o => o.Limits.MaxConnections = Limit);
        var clients = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => RawClient.ConnectAsync(broker.Endpoint, handshake: false)));
        try
        {
            var replies = await Task.WhenAll(clients.Select(async client =>
            {
                try
                {
                    return (await client.RequestAsync(new Hello(1, 1, "limit-test", "1"))).Message;
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException or ObjectDisposedException
                                             )
                {
                    return null;
                }
            }));
            var served = replies.Count(r => r is HelloOk);
            Assert.True(served == Limit, $"{served} of {clients.Length} connections completed the handshake with a limit of {Limit}");
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static async Task AssertStillServesAsync(TestBroker broker)
    {
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("canary");
        var published = await client.PublishAsync("canary", Encoding.UTF8.GetBytes("alive"));
        await client.SubscribeAsync("canary");
        var delivery = await client.NextDeliveryAsync();
        Assert.Equal(published.Offset, delivery.Offset);
        await client.AckAsync(delivery.DeliveryId);
    }
}
