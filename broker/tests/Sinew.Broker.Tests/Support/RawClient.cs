// The broker tests' protocol client: the shared raw connection (conformance/src/Sinew.RawProtocol) with the
// assertions and shorthands the tests use, pushed frames and deliveries queued for the test to take. Pushed
// Topology frames, which the broker sends whenever any connection declares a queue, are queued on their own, so
// a test waiting for another push does not have to step over them.
using System.Net;
using System.Threading.Channels;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;
using Sinew.RawProtocol;

namespace Sinew.Broker.Tests.Support;

internal sealed class RawClient : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    private readonly Channel<Frame> _pushes = Channel.CreateUnbounded<Frame>();
    private readonly Channel<Topology> _topologies = Channel.CreateUnbounded<Topology>();
    private readonly System.Collections.Concurrent.ConcurrentQueue<Frame> _arrivals = new();
    private readonly Channel<DeliveredMessage> _deliveries = Channel.CreateUnbounded<DeliveredMessage>();
    private RawConnection _connection = null!;

    private RawClient()
    {
    }

    /// <summary>Answer the broker's pings automatically (on unless a test wants silence).</summary>
    public bool AnswerPings
    {
        get => _connection.AnswerPings;
        set => _connection.AnswerPings = value;
    }

    public HelloOk? Welcome => _connection.Welcome;

    public Task Closed => _connection.Closed;

    public int BufferedDeliveries => _deliveries.Reader.Count;

    /// <summary>Pushed Topology frames received and not yet taken.</summary>
    public int BufferedTopologies => _topologies.Reader.Count;

    /// <summary>Every frame that was not the reply to a <see cref="RequestAsync"/>, in the order it arrived (pushed
    /// Topology frames included), for tests about the order of pushes and replies.</summary>
    public IReadOnlyList<Frame> Arrivals => [.. _arrivals];

    public static async Task<RawClient> ConnectAsync(IPEndPoint endpoint, bool handshake = true, Auth? auth = null, ulong? heartbeatMs = null,
        byte[]? resumeToken = null)
    {
        var client = new RawClient();
        client._connection = await RawConnection.OpenAsync(endpoint, DefaultTimeout, client.OnPush);
        _ = client._connection.Closed.ContinueWith(_ =>
        {
            client._pushes.Writer.TryComplete();
            client._topologies.Writer.TryComplete();
            client._deliveries.Writer.TryComplete();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        if (handshake)
        {
            var reply = await client._connection.HelloAsync(new Hello(1, 1, "raw-test-client", "1.0", auth, resumeToken, heartbeatMs), DefaultTimeout);
            Assert.IsType<HelloOk>(reply.Message);
        }

        return client;
    }

    public Task<Frame> RequestAsync(IWireMessage message, FrameFlags flags = FrameFlags.None, TimeSpan? timeout = null) =>
        _connection.RequestAsync(message, flags, timeout ?? DefaultTimeout);

    /// <summary>Sends a request and expects a reply of type <typeparamref name="T"/>; an Error reply fails the test.</summary>
    public async Task<T> CallAsync<T>(IWireMessage message, FrameFlags flags = FrameFlags.None) where T : IWireMessage
    {
        var reply = await RequestAsync(message, flags);
        if (reply.Message is Error error)
        {
            Assert.Fail($"{message.Opcode} failed: {ErrorCodes.NameOf(error.Code)}: {error.Message}");
        }

        return Assert.IsType<T>(reply.Message);
    }

    /// <summary>Sends a request and expects an Error with <paramref name="code"/>.</summary>
    public async Task<Error> FailAsync(IWireMessage message, ErrorCode code, FrameFlags flags = FrameFlags.None)
    {
        var reply = await RequestAsync(message, flags);
        var error = Assert.IsType<Error>(reply.Message);
        Assert.True((ushort)code == error.Code, $"expected {ErrorCodes.NameOf((ushort)code)}, got {ErrorCodes.NameOf(error.Code)}: {error.Message}");
        return error;
    }

    public Task SendAsync(IWireMessage message, uint requestId = 0, FrameFlags flags = FrameFlags.None) =>
        _connection.SendAsync(message, requestId, flags);

    public Task SendRawAsync(byte[] bytes) => _connection.SendAsync(bytes);

    public Task<DeclareQueueOk> DeclareAsync(string topic, uint partitions = 1, uint? maxRetries = null, ulong? leaseMs = null,
        ulong? defaultTtlMs = null, DeadLetterPolicy? deadLetter = null, string? group = null) =>
        CallAsync<DeclareQueueOk>(new DeclareQueue(topic, group, partitions, deadLetter ?? new DeadLetterPolicy(DeadLetterKind.Discard), maxRetries, defaultTtlMs, leaseMs));

    public async Task<PublishResult> PublishAsync(string topic, byte[] payload, string? group = null, IReadOnlyDictionary<string, string>? headers = null,
        byte[]? key = null, ulong? delayMs = null, ulong? ttlMs = null, string? producerId = null, ulong? sequence = null, uint? partition = null)
    {
        // The explicit cast matters: a null byte[] would otherwise become an empty, present key.
        ReadOnlyMemory<byte>? partitionKey = null;
        if (key is not null)
        {
            partitionKey = key;
        }

        var ok = await CallAsync<PublishOk>(new Publish(topic, group,
            new PublishMessage(payload, null, headers, partitionKey, partition, null, delayMs, ttlMs, producerId, sequence)), FrameFlags.Confirm);
        return Assert.Single(ok.Results);
    }

    public async Task<ulong> SubscribeAsync(string topic, uint prefetch = 100, AckMode ackMode = AckMode.Manual, uint? partition = null, string? group = null)
    {
        var ok = await CallAsync<SubscribeOk>(new Subscribe(topic, group, partition, ackMode, prefetch));
        return ok.SubscriptionId;
    }

    public Task<SettleOk> AckAsync(params ulong[] deliveryIds) => CallAsync<SettleOk>(new Ack(deliveryIds));

    public Task<SettleOk> NackAsync(ulong deliveryId, bool requeue, ulong? delayMs = null, string? reason = null) =>
        CallAsync<SettleOk>(new Nack([new NackItem(deliveryId, requeue, null, delayMs, reason)]));

    public async Task<DeliveredMessage> NextDeliveryAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        return await _deliveries.Reader.ReadAsync(cts.Token);
    }

    /// <summary>True if no delivery arrives within <paramref name="window"/>.</summary>
    public async Task<bool> NoDeliveryWithinAsync(TimeSpan window)
    {
        using var cts = new CancellationTokenSource(window);
        try
        {
            await _deliveries.Reader.WaitToReadAsync(cts.Token);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    public async Task<Frame> NextPushAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        return await _pushes.Reader.ReadAsync(cts.Token);
    }

    /// <summary>The next pushed Topology (request id 0).</summary>
    public async Task<Topology> NextTopologyAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        return await _topologies.Reader.ReadAsync(cts.Token);
    }

    /// <summary>Takes pushed Topology frames until one of <paramref name="generation"/> or newer arrives; returns it
    /// and how many were taken.</summary>
    public async Task<(Topology Topology, int Pushes)> TopologyAtLeastAsync(ulong generation, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var pushes = 0;
        while (true)
        {
            var topology = await _topologies.Reader.ReadAsync(cts.Token);
            pushes++;
            if (topology.Generation >= generation)
            {
                return (topology, pushes);
            }
        }
    }

    /// <summary>Waits for the broker to close the connection.</summary>
    public Task WaitClosedAsync(TimeSpan? timeout = null) => _connection.Closed.WaitAsync(timeout ?? DefaultTimeout);

    /// <summary>Stops reading the socket (after the read under way), as a consumer that stopped reading would.</summary>
    public void StopReading() => _connection.StopReading();

    public void ResumeReading() => _connection.ResumeReading();

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    // Pushed frames (and replies to requests sent without waiting) in arrival order; deliveries also one by one.
    private void OnPush(Frame frame)
    {
        _arrivals.Enqueue(frame);
        if (frame.Message is Topology topology && frame.Header.RequestId == 0)
        {
            _topologies.Writer.TryWrite(topology);
            return;
        }

        if (frame.Message is Deliver deliver)
        {
            foreach (var message in deliver.Messages)
            {
                _deliveries.Writer.TryWrite(message);
            }
        }

        _pushes.Writer.TryWrite(frame);
    }
}
