// A minimal protocol client for broker tests: frames in, frames out, request/reply correlation, a queue
// of pushed frames, and raw byte access for sending what no real client would.
using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Tests.Support;

internal sealed class RawClient : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly ConcurrentDictionary<uint, TaskCompletionSource<Frame>> _pending = new();
    private readonly Channel<Frame> _pushes = Channel.CreateUnbounded<Frame>();
    private readonly Channel<DeliveredMessage> _deliveries = Channel.CreateUnbounded<DeliveredMessage>();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Task _readLoop;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private uint _nextRequestId;
    private volatile TaskCompletionSource _readGate = Open();

    private RawClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>Answer the broker's pings automatically (on unless a test wants silence).</summary>
    public bool AnswerPings { get; set; } = true;

    public HelloOk? Welcome { get; private set; }

    public Task Closed => _closed.Task;

    public static async Task<RawClient> ConnectAsync(IPEndPoint endpoint, bool handshake = true, Auth? auth = null, ulong? heartbeatMs = null)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(endpoint).WaitAsync(DefaultTimeout);
        var client = new RawClient(tcp);
        if (handshake)
        {
            var reply = await client.RequestAsync(new Hello(1, 1, "raw-test-client", "1.0", auth, HeartbeatMs: heartbeatMs));
            client.Welcome = Assert.IsType<HelloOk>(reply.Message);
        }

        return client;
    }

    // ---- requests -----------------------------------------------------------------------------------

    public async Task<Frame> RequestAsync(IWireMessage message, FrameFlags flags = FrameFlags.None, TimeSpan? timeout = null)
    {
        var requestId = Interlocked.Increment(ref _nextRequestId);
        var reply = new TaskCompletionSource<Frame>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[requestId] = reply;
        await SendAsync(message, requestId, flags);
        return await reply.Task.WaitAsync(timeout ?? DefaultTimeout);
    }

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

    public async Task SendAsync(IWireMessage message, uint requestId = 0, FrameFlags flags = FrameFlags.None) =>
        await SendRawAsync(FrameEncoder.EncodeToArray(message, requestId, flags));

    public async Task SendRawAsync(byte[] bytes)
    {
        await _writeLock.WaitAsync();
        try
        {
            await _stream.WriteAsync(bytes);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    // ---- convenience ----------------------------------------------------------------------------------

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

    public int BufferedDeliveries => _deliveries.Reader.Count;

    public async Task<Frame> NextPushAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        return await _pushes.Reader.ReadAsync(cts.Token);
    }

    /// <summary>Waits for the broker to close the connection.</summary>
    public Task WaitClosedAsync(TimeSpan? timeout = null) => _closed.Task.WaitAsync(timeout ?? DefaultTimeout);

    // ---- reading ---------------------------------------------------------------------------------------

    private async Task ReadLoopAsync()
    {
        var reader = PipeReader.Create(_stream);
        try
        {
            while (true)
            {
                await _readGate.Task;
                var result = await reader.ReadAsync();
                var buffer = result.Buffer;
                // Like a real client, refuse frames past the limit the broker announced.
                var limit = Welcome is { } welcome ? (int)welcome.Limits.MaxFrameBytes : FrameLimits.DefaultMaxFrameBytes;
                while (FrameReader.TryReadFrame(ref buffer, limit, out var header, out var reserved, out var body))
                {
                    await OnFrameAsync(new Frame(header, FrameDecoder.DecodeBody(header, reserved, body)));
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or OperationCanceledException or FrameDecodeException)
        {
        }
        finally
        {
            foreach (var pending in _pending.Values)
            {
                pending.TrySetException(new IOException("the connection closed"));
            }

            _pushes.Writer.TryComplete();
            _deliveries.Writer.TryComplete();
            _closed.TrySetResult();
        }
    }

    private async Task OnFrameAsync(Frame frame)
    {
        if (frame.Message is Ping && AnswerPings)
        {
            await SendAsync(Pong.Instance, frame.Header.RequestId);
            return;
        }

        if (frame.Header.RequestId != 0 && frame.Message is not Ping && _pending.TryRemove(frame.Header.RequestId, out var reply))
        {
            reply.TrySetResult(frame);
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

    /// <summary>Stops reading the socket (after the read under way), as a consumer that stopped reading would.</summary>
    public void StopReading() => _readGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void ResumeReading() => _readGate.TrySetResult();

    private static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    public async ValueTask DisposeAsync()
    {
        ResumeReading();
        _tcp.Dispose();
        await _readLoop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _writeLock.Dispose();
    }
}
