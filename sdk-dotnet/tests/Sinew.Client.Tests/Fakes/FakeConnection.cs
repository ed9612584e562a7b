// One client connection as the fake broker sees it: reading and recording frames, writing scripted frames in batches,
// dropping.

namespace Sinew.Client.Tests.Fakes;

using System.Buffers;
using System.Net.Sockets;
using System.Threading.Channels;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

internal sealed class FakeConnection
{
    private readonly Socket _socket;
    private readonly Channel<byte[]> _outgoing = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FakeConnection(int id, Socket socket)
    {
        Id = id;
        _socket = socket;
    }

    public int Id { get; }

    public bool HandshakeDone { get; set; }

    /// <summary>Completes when the socket is closed, by either side.</summary>
    public Task Closed => _closed.Task;

    public bool IsClosed => _closed.Task.IsCompleted;

    /// <summary>Queues a frame; the writer loop sends queued frames together.</summary>
    public void Send(IWireMessage message, uint requestId = 0, FrameFlags flags = FrameFlags.None) =>
        _outgoing.Writer.TryWrite(FrameEncoder.EncodeToArray(message, requestId, flags));

    /// <summary>Queues frames given as bytes: fixed frames from the wire vectors, or malformed ones.</summary>
    public void SendBytes(byte[] bytes) => _outgoing.Writer.TryWrite(bytes);

    /// <summary>Closes once queued frames are sent.</summary>
    public void CloseAfterFlush() => _outgoing.Writer.TryComplete();

    /// <summary>Drops the connection at once, without flushing (a reset).</summary>
    public void Drop()
    {
        _outgoing.Writer.TryComplete();
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _socket.Dispose();
        _closed.TrySetResult();
    }

    public async Task RunAsync(Action<ReceivedFrame> onFrame)
    {
        var writer = WriteLoopAsync();
        var buffer = new byte[64 * 1024];
        var start = 0;
        var end = 0;
        try
        {
            while (true)
            {
                if (end == buffer.Length)
                {
                    if (start > 0)
                    {
                        Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                        end -= start;
                        start = 0;
                    }
                    else
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }
                }

                var read = await _socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                end += read;
                var data = new ReadOnlySequence<byte>(buffer, start, end - start);
                var before = data.Length;
                while (FrameReader.TryReadFrame(ref data, FrameLimits.DefaultMaxFrameBytes, out var header, out var reserved, out var body))
                {
                    var message = FrameDecoder.DecodeBody(header, reserved, body);
                    onFrame(new ReceivedFrame(this, header, message));
                }

                start += (int)(before - data.Length);
                if (start == end)
                {
                    start = end = 0;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or FrameDecodeException or IOException)
        {
        }
        finally
        {
            _outgoing.Writer.TryComplete();
            await writer.ConfigureAwait(false);
            _socket.Dispose();
            _closed.TrySetResult();
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new ArrayBufferWriter<byte>(64 * 1024);
        try
        {
            while (await _outgoing.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                batch.ResetWrittenCount();
                while (batch.WrittenCount < 1 << 20 && _outgoing.Reader.TryRead(out var frame))
                {
                    batch.Write(frame);
                }

                await _socket.SendAsync(batch.WrittenMemory, SocketFlags.None).ConfigureAwait(false);
            }

            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }
}
