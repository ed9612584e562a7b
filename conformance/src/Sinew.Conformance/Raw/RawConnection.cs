// A bare protocol connection for cases no client library would produce.
using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Conformance.Raw;

internal sealed class RawConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly ArrayBufferWriter<byte> _received = new();
    private readonly Queue<Frame> _held = new();
    private bool _eof;
    private uint _nextRequestId;

    private RawConnection(Socket socket)
    {
        _socket = socket;
    }

    public HelloOk? Welcome { get; private set; }

    public static async Task<RawConnection> OpenAsync(string endpoint, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var address = IPEndPoint.Parse(endpoint);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cancel.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(address, cancel.Token).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new RawConnection(socket);
    }

    public uint NextRequestId() => ++_nextRequestId;

    public Task SendAsync(byte[] bytes) => _socket.SendAsync(bytes);

    public Task SendAsync(IWireMessage message, uint requestId, FrameFlags flags = FrameFlags.None) =>
        SendAsync(FrameEncoder.EncodeToArray(message, requestId, flags));

    /// <summary>Sends a request and returns the first frame answering it (skipping pushes and pings).</summary>
    public async Task<Frame> RequestAsync(IWireMessage message, FrameFlags flags = FrameFlags.None, TimeSpan? timeout = null)
    {
        var id = NextRequestId();
        await SendAsync(message, id, flags).ConfigureAwait(false);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var frame = await ReadWireFrameAsync(deadline - DateTime.UtcNow).ConfigureAwait(false)
                        ?? throw new RawCaseFailure($"the broker closed the connection instead of answering {message.Opcode}");
            if (frame.Message is Ping)
            {
                await SendAsync(Pong.Instance, frame.Header.RequestId).ConfigureAwait(false);
                continue;
            }

            if (frame.Header.RequestId == id)
            {
                return frame;
            }

            // Pushes (deliveries, notices) that arrive before the answer are kept for later reads.
            _held.Enqueue(frame);
        }
    }

    public async Task<HelloOk> HandshakeAsync(Auth? auth = null)
    {
        var reply = await RequestAsync(new Hello(1, 1, "sinew-conformance", "1", auth)).ConfigureAwait(false);
        Welcome = reply.Message as HelloOk ?? throw new RawCaseFailure($"Hello was answered with {Describe(reply)}");
        return Welcome;
    }

    /// <summary>The next frame, or null at end of stream.</summary>
    /// <exception cref="TimeoutException">Nothing arrived in time.</exception>
    public async Task<Frame?> ReadFrameAsync(TimeSpan timeout)
    {
        if (_held.TryDequeue(out var held))
        {
            return held;
        }

        return await ReadWireFrameAsync(timeout).ConfigureAwait(false);
    }

    private async Task<Frame?> ReadWireFrameAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var buffer = new ReadOnlySequence<byte>(_received.WrittenMemory);
            if (FrameReader.TryReadFrame(ref buffer, FrameLimits.DefaultMaxFrameBytes, out var header, out var reserved, out var body))
            {
                var frame = new Frame(header, FrameDecoder.DecodeBody(header, reserved, body));
                Consume((int)(_received.WrittenCount - buffer.Length));
                return frame;
            }

            if (_eof)
            {
                return null;
            }

            await ReceiveMoreAsync(deadline - DateTime.UtcNow).ConfigureAwait(false);
        }
    }

    /// <summary>Whatever bytes arrive first (for telling what a foreign server speaks).</summary>
    public async Task<byte[]> ReadAnyAsync(TimeSpan timeout)
    {
        if (_received.WrittenCount == 0 && !_eof)
        {
            await ReceiveMoreAsync(timeout).ConfigureAwait(false);
        }

        return _received.WrittenSpan.ToArray();
    }

    /// <summary>Waits for the broker to close the connection, discarding frames; false if it stays open.</summary>
    public async Task<bool> ClosedWithinAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        try
        {
            while (DateTime.UtcNow < deadline)
            {
                if (await ReadFrameAsync(deadline - DateTime.UtcNow).ConfigureAwait(false) is null)
                {
                    return true;
                }
            }
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return true;
        }

        return false;
    }

    private async Task ReceiveMoreAsync(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero)
        {
            throw new TimeoutException("nothing arrived in time");
        }

        using var cancel = new CancellationTokenSource(timeout);
        var memory = _received.GetMemory(64 * 1024);
        int read;
        try
        {
            read = await _socket.ReceiveAsync(memory, SocketFlags.None, cancel.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("nothing arrived in time");
        }
        catch (SocketException)
        {
            read = 0;
        }

        if (read == 0)
        {
            _eof = true;
        }

        _received.Advance(read);
    }

    private void Consume(int count)
    {
        var rest = _received.WrittenSpan[count..].ToArray();
        _received.ResetWrittenCount();
        _received.Write(rest);
    }

    public static string Describe(Frame frame) => frame.Message is Error error
        ? $"Error {Sinew.Protocol.Errors.ErrorCodes.NameOf(error.Code)}: {error.Message}"
        : frame.Header.Opcode.ToString();

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A raw case's expectation did not hold.</summary>
internal sealed class RawCaseFailure(string message) : Exception(message);
