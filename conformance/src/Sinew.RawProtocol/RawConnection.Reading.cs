// The reading side of a raw connection: one loop that splits the stream into frames and routes each, the first
// bytes kept for telling what a foreign server speaks, a gate that stops reading, and reads with deadlines.
using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.RawProtocol;

public sealed partial class RawConnection
{
    private const int FirstBytesKept = 256;

    private readonly TaskCompletionSource<byte[]> _firstBytes = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile TaskCompletionSource _readGate = Opened();
    private Exception? _terminal;

    /// <summary>Stops reading the socket after the read under way, as a consumer that stopped reading would: what
    /// the broker sends piles up in TCP.</summary>
    public void StopReading() => _readGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void ResumeReading() => _readGate.TrySetResult();

    /// <summary>The next frame that answered no <see cref="RequestAsync"/> call, or null once the connection has
    /// closed and every frame was read. Only for a connection opened without an <c>onFrame</c> handler.</summary>
    /// <exception cref="TimeoutException">Nothing arrived within <paramref name="timeout"/>.</exception>
    /// <exception cref="FrameDecodeException">The broker sent a frame that cannot be decoded (the connection is closed).</exception>
    public async Task<Frame?> ReadFrameAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (await _inbound.Reader.WaitToReadAsync(deadline.Token).ConfigureAwait(false))
            {
                if (_inbound.Reader.TryRead(out var frame))
                {
                    return frame;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"no frame arrived within {timeout.TotalMilliseconds} ms");
        }

        if (_terminal is FrameDecodeException decode)
        {
            ExceptionDispatchInfo.Throw(decode);
        }

        return null;
    }

    /// <summary>The first bytes the server sent (up to 256), whatever they are, or none when it closed without
    /// sending anything: for telling whether it speaks the protocol at all.</summary>
    /// <exception cref="TimeoutException">Nothing arrived within <paramref name="timeout"/>.</exception>
    public Task<byte[]> ReadAnyAsync(TimeSpan timeout) => _firstBytes.Task.WaitAsync(timeout);

    /// <summary>Whether the connection closes within <paramref name="timeout"/> (frames arriving meanwhile are left
    /// unread).</summary>
    public async Task<bool> ClosedWithinAsync(TimeSpan timeout)
    {
        try
        {
            await _closed.Task.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private async Task ReadLoopAsync()
    {
        var reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024));
        Exception? cause = null;
        try
        {
            while (true)
            {
                await _readGate.Task.ConfigureAwait(false);
                var result = await reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (!_firstBytes.Task.IsCompleted && !buffer.IsEmpty)
                {
                    _firstBytes.TrySetResult(buffer.Slice(0, Math.Min(buffer.Length, FirstBytesKept)).ToArray());
                }

                // Like a real client, refuse frames past the limit the broker announced.
                var limit = Welcome is { } welcome ? (int)welcome.Limits.MaxFrameBytes : FrameLimits.DefaultMaxFrameBytes;
                while (FrameReader.TryReadFrame(ref buffer, limit, out var header, out var reserved, out var body))
                {
                    Route(new Frame(header, FrameDecoder.DecodeBody(header, reserved, body)));
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
            cause = e;
        }
        finally
        {
            _firstBytes.TrySetResult([]);
            Close(cause);
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private void Route(Frame frame)
    {
        if (frame.Message is Ping && AnswerPings)
        {
            Send(Pong.Instance, frame.Header.RequestId);
            return;
        }

        // A ping from the broker can carry the id of a request of ours; it answers nothing.
        if (frame.Header.RequestId != 0 && frame.Message is not Ping && _pending.TryRemove(frame.Header.RequestId, out var pending))
        {
            pending.Reply.TrySetResult(frame);
            return;
        }

        if (_onFrame is { } onFrame)
        {
            onFrame(frame);
        }
        else
        {
            _inbound.Writer.TryWrite(frame);
        }
    }

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }
}
