// The frames a session handles per message: decoding a Publish from the bytes a client sent, and encoding a
// Deliver into the connection's send buffer.
using System.Buffers;
using BenchmarkDotNet.Attributes;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Benchmarks;

[MemoryDiagnoser]
public class FrameBenchmarks
{
    private const int DeliverBatch = 16;

    private readonly ArrayBufferWriter<byte> _output = new(64 * 1024);
    private ReadOnlySequence<byte> _publishFrame;
    private Deliver _deliver = null!;

    [Params(1024)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var payload = new byte[PayloadBytes];
        var headers = new Dictionary<string, string> { ["trace-id"] = "4bf92f3577b34da6a3ce929d0e0e4736" };
        _publishFrame = new ReadOnlySequence<byte>(FrameEncoder.EncodeToArray(
            new Publish("orders", null, new PublishMessage(payload, "application/json", headers)), requestId: 7, FrameFlags.Confirm));
        var messages = new DeliveredMessage[DeliverBatch];
        for (var i = 0; i < messages.Length; i++)
        {
            messages[i] = new DeliveredMessage((ulong)i + 1, 0, (ulong)i, 1, 1_800_000_000_000, payload, "application/json", headers);
        }

        _deliver = new Deliver(1, messages);
    }

    /// <summary>Cuts one Publish frame out of the received bytes and decodes its body.</summary>
    [Benchmark]
    public IWireMessage DecodePublish()
    {
        var buffer = _publishFrame;
        FrameReader.TryReadFrame(ref buffer, FrameLimits.DefaultMaxFrameBytes, out var header, out var reserved, out var body);
        return FrameDecoder.DecodeBody(header, reserved, body);
    }

    /// <summary>Encodes a Deliver of 16 messages into a reused send buffer (per message: divide by 16).</summary>
    [Benchmark(OperationsPerInvoke = DeliverBatch)]
    public int EncodeDeliver()
    {
        _output.ResetWrittenCount();
        return FrameEncoder.Encode(_output, _deliver);
    }
}
