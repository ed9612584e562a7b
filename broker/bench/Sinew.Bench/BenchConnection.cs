// A lean protocol connection for the benchmark: frames are encoded into a shared buffer and written
// in batches by one writer loop; a read loop hands every incoming frame to a callback.
using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Bench;

internal sealed class BenchConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly object _lock = new();
    private readonly SemaphoreSlim _signal = new(0);
    private ArrayBufferWriter<byte> _pending = new(1 << 20);
    private ArrayBufferWriter<byte> _writing = new(1 << 20);
    private readonly CancellationTokenSource _stop = new();
    private Task? _writer;
    private Task? _reader;
    private uint _requestId;

    private BenchConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<BenchConnection> OpenAsync(IPEndPoint endpoint, Action<Frame> onFrame)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endpoint);
        var connection = new BenchConnection(socket);
        var welcome = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection._reader = Task.Run(() => connection.ReadLoopAsync(frame =>
        {
            if (frame.Message is HelloOk)
            {
                welcome.TrySetResult();
            }
            else if (frame.Message is Ping)
            {
                connection.Send(Pong.Instance, frame.Header.RequestId);
            }
            else
            {
                onFrame(frame);
            }
        }));
        connection._writer = Task.Run(connection.WriteLoopAsync);
        connection.Send(new Hello(1, 1, "sinew-bench", "1"), connection.NextRequestId());
        await welcome.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return connection;
    }

    public uint NextRequestId() => Interlocked.Increment(ref _requestId);

    public void Send(IWireMessage message, uint requestId = 0, FrameFlags flags = FrameFlags.None)
    {
        lock (_lock)
        {
            FrameEncoder.Encode(_pending, message, requestId, flags);
        }

        _signal.Release();
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await _signal.WaitAsync(_stop.Token);
                lock (_lock)
                {
                    (_pending, _writing) = (_writing, _pending);
                }

                if (_writing.WrittenCount > 0)
                {
                    await _stream.WriteAsync(_writing.WrittenMemory, _stop.Token);
                    _writing.ResetWrittenCount();
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    private async Task ReadLoopAsync(Action<Frame> onFrame)
    {
        var reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 1 << 16));
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(_stop.Token);
                var buffer = result.Buffer;
                while (FrameReader.TryReadFrame(ref buffer, FrameLimits.DefaultMaxFrameBytes, out var header, out var reserved, out var body))
                {
                    onFrame(new Frame(header, FrameDecoder.DecodeBody(header, reserved, body)));
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _stream.Dispose();
        await Task.WhenAll(_writer ?? Task.CompletedTask, _reader ?? Task.CompletedTask).WaitAsync(TimeSpan.FromSeconds(5));
        _stop.Dispose();
        _signal.Dispose();
    }
}
