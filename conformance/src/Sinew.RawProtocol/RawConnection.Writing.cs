// The writing side of a raw connection: frames and raw bytes are appended to a buffer and one loop writes what
// has gathered in one go, so a burst of sends (the benchmark's) costs few system calls and a test's frames leave
// in the order they were sent.
using System.Buffers;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.RawProtocol;

public sealed partial class RawConnection
{
    private readonly object _writeGate = new();
    private readonly SemaphoreSlim _writeSignal = new(0);
    private ArrayBufferWriter<byte> _pendingBytes = new(64 * 1024);
    private ArrayBufferWriter<byte> _writingBytes = new(64 * 1024);
    private TaskCompletionSource _pendingWritten = NewBatch();
    private Exception? _writeFailure;

    /// <summary>Queues <paramref name="message"/> for writing without waiting for it.</summary>
    public void Send(IWireMessage message, uint requestId = 0, FrameFlags flags = FrameFlags.None) =>
        _ = Queue(buffer => FrameEncoder.Encode(buffer, message, requestId, flags));

    /// <summary>Writes <paramref name="message"/>; completes once it was handed to the socket.</summary>
    public Task SendAsync(IWireMessage message, uint requestId = 0, FrameFlags flags = FrameFlags.None) =>
        Queue(buffer => FrameEncoder.Encode(buffer, message, requestId, flags));

    /// <summary>Writes <paramref name="bytes"/> as they are: a frame no encoder would make, or no frame at all.</summary>
    public Task SendAsync(byte[] bytes) => Queue(buffer => buffer.Write(bytes));

    private Task Queue(Action<ArrayBufferWriter<byte>> write)
    {
        Task written;
        lock (_writeGate)
        {
            if (_writeFailure is not null)
            {
                return Task.FromException(new RawConnectionClosedException("the connection is closed", _writeFailure));
            }

            write(_pendingBytes);
            written = _pendingWritten.Task;
        }

        _writeSignal.Release();
        return written;
    }

    private async Task WriteLoopAsync()
    {
        TaskCompletionSource? batch = null;
        try
        {
            while (true)
            {
                await _writeSignal.WaitAsync(_stop.Token).ConfigureAwait(false);
                lock (_writeGate)
                {
                    (_pendingBytes, _writingBytes) = (_writingBytes, _pendingBytes);
                    batch = _pendingWritten;
                    _pendingWritten = NewBatch();
                }

                if (_writingBytes.WrittenCount > 0)
                {
                    await _stream.WriteAsync(_writingBytes.WrittenMemory, _stop.Token).ConfigureAwait(false);
                    _writingBytes.ResetWrittenCount();
                }

                batch.TrySetResult();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            batch?.TrySetException(new RawConnectionClosedException("the connection closed before this was written", e));
            FailWrites(e);
        }
    }

    private void FailWrites(Exception? cause = null)
    {
        lock (_writeGate)
        {
            _writeFailure ??= cause ?? new IOException("the connection closed");
            _pendingWritten.TrySetException(new RawConnectionClosedException("the connection closed before this was written", _writeFailure));
        }
    }

    private static TaskCompletionSource NewBatch() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
