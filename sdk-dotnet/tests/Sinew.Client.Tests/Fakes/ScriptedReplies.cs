// The replies tests script for the fake broker: fixed frames from the shared wire vectors (written by the generator,
// not by this SDK's encoder), and builders for the frames a test fills in from given fields.

namespace Sinew.Client.Tests.Fakes;

using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

internal static class ScriptedReplies
{
    /// <summary>The HelloOk the fake answers with unless a test says otherwise: version 1, server
    /// <c>broker-7f3a</c>, a 5 s heartbeat and the default limits.</summary>
    public const string DefaultHelloOkVector = "hello-ok/new-session";

    private static readonly ConcurrentDictionary<string, byte[]> Vectors = new();

    /// <summary>The bytes of a frame of <c>wire-vectors/frames/connection.json</c>, with its request id replaced.</summary>
    public static byte[] VectorFrame(string id, uint requestId)
    {
        var bytes = (byte[])Vectors.GetOrAdd(id, LoadVector).Clone();

        // The header's request id: a big-endian u32 after magic, version, opcode, flags and the reserved u16.
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(8, 4), requestId);
        return bytes;
    }

    /// <summary>Accepts a Hello with the fixed HelloOk of <see cref="DefaultHelloOkVector"/>.</summary>
    public static void AcceptWithVectorHelloOk(ReceivedFrame hello) =>
        hello.Connection.SendBytes(VectorFrame(DefaultHelloOkVector, hello.RequestId));

    /// <summary>Accepts a Hello with a HelloOk of these values; each connection gets its own session id.</summary>
    public static Action<ReceivedFrame> HelloOk(ulong heartbeatMs = 0, Limits? limits = null) => hello => hello.Reply(
        new HelloOk(1, "fake-broker", "0.0.0-test", $"session-{hello.Connection.Id}", new byte[] { 1, 2, 3 }, false, heartbeatMs,
            limits ?? new Limits(FrameLimits.DefaultMaxFrameBytes, 1024, 64, 65_535)));

    /// <summary>Refuses a Hello with an error and closes the connection, as a broker does.</summary>
    public static Action<ReceivedFrame> Refuse(ErrorCode code, string message, IReadOnlyDictionary<string, string>? details = null) => hello =>
    {
        hello.Reply(Error(code, false, message, details));
        hello.Connection.CloseAfterFlush();
    };

    public static Error Error(ErrorCode code, bool retryable, string message, IReadOnlyDictionary<string, string>? details = null) =>
        new((ushort)code, retryable, message, details);

    /// <summary>The answer to a declaration that takes every setting as asked (one partition and the protocol's defaults
    /// where the request left one out).</summary>
    public static DeclareQueueOk DeclareQueueOk(DeclareQueue request, bool created = true) =>
        new(created, request.Partitions ?? 1, request.DeadLetter ?? new DeadLetterPolicy(DeadLetterKind.Discard), request.MaxRetries ?? 5,
            request.DefaultTtlMs, request.LeaseMs ?? 30_000);

    public static PublishOk PublishOk(params (uint Partition, ulong Offset)[] results) =>
        new([.. results.Select(r => new PublishResult(r.Partition, r.Offset, false))]);

    /// <summary>Accepts a Subscribe with subscription id <c>partition + 1</c>, covering the partition asked for
    /// (partition 0 when it asked for every partition).</summary>
    public static SubscribeOk SubscribeOk(Subscribe request) => new((request.Partition ?? 0) + 1UL, [request.Partition ?? 0]);

    /// <summary>The subscription id <see cref="SubscribeOk(Subscribe)"/> gives a partition.</summary>
    public static ulong SubscriptionOf(uint partition) => partition + 1UL;

    public static SettleOk SettleOk(params SettleFailure[] failures) => new(failures);

    public static Topology Topology(params ChannelInfo[] queues) => new(1, [new BrokerInfo("fake-broker", [])], queues);

    public static ChannelInfo Queue(string topic, uint partitions, string? group = null) => new(ChannelKind.Queue, topic, group, partitions, 1);

    public static Deliver Deliver(ulong subscriptionId, params DeliveredMessage[] messages) => new(subscriptionId, messages);

    /// <summary>A delivered text message; the publish time is now. Without <paramref name="failures"/> and
    /// <paramref name="maxRetries"/> it is what a broker that does not count failures sends.</summary>
    public static DeliveredMessage Message(ulong deliveryId, string text, uint partition = 0, ulong offset = 0, uint attempt = 1,
        uint? failures = null, uint? maxRetries = null) =>
        new(deliveryId, partition, offset, attempt, (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Encoding.UTF8.GetBytes(text), "text/plain; charset=utf-8",
            Failures: failures, MaxRetries: maxRetries);

    private static byte[] LoadVector(string id)
    {
        var vectors = RepositoryFiles.WireVector("frames/connection.json")["vectors"]!.AsArray();
        var vector = vectors.Single(v => (string?)v!["id"] == id)!;
        return Convert.FromHexString((string)vector["hex"]!);
    }
}
