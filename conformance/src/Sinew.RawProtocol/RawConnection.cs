// A bare protocol connection for what no client library would do, or should not hide: exact frames and raw
// bytes out, every frame in, request/reply correlation by request id, and pings answered. The broker's tests,
// the conformance tool's raw cases and the benchmark speak the protocol through it.
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.RawProtocol;

/// <summary>One TCP connection speaking frames. A reply to <see cref="RequestAsync"/> goes to its caller; every
/// other frame (pushes, replies to requests sent with <see cref="Send"/>) goes to the <c>onFrame</c> handler given
/// at open, or, without one, is kept for <see cref="ReadFrameAsync"/>. Pings from the broker are answered while
/// <see cref="AnswerPings"/> is on.</summary>
public sealed partial class RawConnection : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly Action<Frame>? _onFrame;
    private readonly Channel<Frame> _inbound = Channel.CreateUnbounded<Frame>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly ConcurrentDictionary<uint, (TaskCompletionSource<Frame> Reply, Opcode Op)> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _readLoop = Task.CompletedTask;
    private Task _writeLoop = Task.CompletedTask;
    private uint _nextRequestId;

    private RawConnection(Socket socket, Action<Frame>? onFrame)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _onFrame = onFrame;
    }

    /// <summary>Answer the broker's pings with pongs (on unless a test wants the connection silent).</summary>
    public bool AnswerPings { get; set; } = true;

    /// <summary>The broker's handshake answer, once <see cref="HelloAsync"/> got one.</summary>
    public HelloOk? Welcome { get; private set; }

    /// <summary>Completes when the connection has closed: the broker closed it, it failed, or it was disposed.</summary>
    public Task Closed => _closed.Task;

    /// <summary>Connects to <paramref name="endpoint"/> (<c>IP:PORT</c>).</summary>
    /// <exception cref="FormatException">The endpoint is not an IP address and port.</exception>
    public static Task<RawConnection> OpenAsync(string endpoint, TimeSpan? connectTimeout = null, Action<Frame>? onFrame = null,
        CancellationToken cancellationToken = default) =>
        OpenAsync(IPEndPoint.Parse(endpoint), connectTimeout, onFrame, cancellationToken);

    /// <summary>Connects to <paramref name="endpoint"/>. <paramref name="onFrame"/>, when given, receives every frame that
    /// does not answer a <see cref="RequestAsync"/> call, on the read loop (it must not block).</summary>
    /// <exception cref="SocketException">Nothing accepts connections there.</exception>
    /// <exception cref="OperationCanceledException">The connect did not complete within <paramref name="connectTimeout"/>.</exception>
    public static async Task<RawConnection> OpenAsync(IPEndPoint endpoint, TimeSpan? connectTimeout = null, Action<Frame>? onFrame = null,
        CancellationToken cancellationToken = default)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(connectTimeout ?? DefaultTimeout);
        try
        {
            await socket.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new RawConnection(socket, onFrame);
        connection._readLoop = Task.Run(connection.ReadLoopAsync, CancellationToken.None);
        connection._writeLoop = Task.Run(connection.WriteLoopAsync, CancellationToken.None);
        return connection;
    }

    /// <summary>A request id not used on this connection before.</summary>
    public uint NextRequestId() => Interlocked.Increment(ref _nextRequestId);

    /// <summary>Sends <paramref name="hello"/> and keeps the answer in <see cref="Welcome"/> when it is a HelloOk.
    /// Returns the answer, whatever it is.</summary>
    public async Task<Frame> HelloAsync(Hello hello, TimeSpan? timeout = null)
    {
        var reply = await RequestAsync(hello, FrameFlags.None, timeout).ConfigureAwait(false);
        if (reply.Message is HelloOk welcome)
        {
            Welcome = welcome;
        }

        return reply;
    }

    /// <summary>Sends <paramref name="message"/> with a fresh request id and returns the frame that answers it.</summary>
    /// <exception cref="TimeoutException">No answer within <paramref name="timeout"/> (default 10 s).</exception>
    /// <exception cref="RawConnectionClosedException">The connection closed first.</exception>
    public async Task<Frame> RequestAsync(IWireMessage message, FrameFlags flags = FrameFlags.None, TimeSpan? timeout = null)
    {
        var requestId = NextRequestId();
        var reply = new TaskCompletionSource<Frame>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[requestId] = (reply, message.Opcode);
        if (_closed.Task.IsCompleted)
        {
            FailPending();
        }

        await SendAsync(message, requestId, flags).ConfigureAwait(false);
        var limit = timeout ?? DefaultTimeout;
        try
        {
            return await reply.Task.WaitAsync(limit).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _pending.TryRemove(requestId, out _);
            throw new TimeoutException($"{message.Opcode} was not answered within {limit.TotalMilliseconds} ms");
        }
    }

    /// <summary>"Error code_name: message" for an Error frame, else the frame's opcode: for failure messages.</summary>
    public static string Describe(Frame frame) => frame.Message is Error error
        ? $"Error {ErrorCodes.NameOf(error.Code)}: {error.Message}"
        : frame.Header.Opcode.ToString();

    /// <summary>Closes the connection and waits (briefly) for its loops to end.</summary>
    public async ValueTask DisposeAsync()
    {
        ResumeReading();
        await _stop.CancelAsync().ConfigureAwait(false);
        _stream.Dispose();
        try
        {
            await Task.WhenAll(_readLoop, _writeLoop).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A loop stuck in a callback; the socket is closed either way.
        }

        Close(null);
        _stop.Dispose();
    }

    private void FailPending()
    {
        foreach (var (id, (reply, op)) in _pending)
        {
            if (_pending.TryRemove(id, out _))
            {
                reply.TrySetException(new RawConnectionClosedException($"the broker closed the connection instead of answering {op}", _terminal));
            }
        }
    }

    private void Close(Exception? cause)
    {
        lock (_closed)
        {
            _terminal ??= cause;
        }

        FailPending();
        FailWrites();
        _inbound.Writer.TryComplete();
        _closed.TrySetResult();
    }
}
