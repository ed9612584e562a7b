// One connection of the topology benchmark. It reads frames off the socket itself and decodes a Topology only as
// far as its generation, so what it measures is when the broker delivered the catalogue, not how long this
// process takes to decode 200 copies of it on the same cores. Pings are answered, so the broker keeps it open.
using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MessagePack;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Bench;

internal sealed class TopologyWatcher : IAsyncDisposable
{
    private const int MaxFrameBytes = 16 << 20;
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private readonly SemaphoreSlim _sending = new(1);
    private Task _readLoop = Task.CompletedTask;
    private TaskCompletionSource<Frame> _handshake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<(long At, ulong Generation, byte[] Frame)>? _reply;
    private TaskCompletionSource<long>? _arrival;
    private ulong _awaited;

    private TopologyWatcher(Socket socket) => _socket = socket;

    /// <summary>The newest generation this connection has been sent.</summary>
    public ulong Generation { get; private set; }

    /// <summary>Completes with the Stopwatch timestamp at which a push of the awaited generation arrived.</summary>
    public Task<long> Arrived => _arrival?.Task ?? throw new InvalidOperationException("nothing is awaited");

    /// <summary>Connects and completes the handshake.</summary>
    public static async Task<TopologyWatcher> OpenAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endpoint);
        var watcher = new TopologyWatcher(socket);
        watcher._readLoop = Task.Run(watcher.ReadLoopAsync);
        await watcher.SendAsync(FrameEncoder.EncodeToArray(new Hello(1, 1, "sinew-bench-topology", "1"), 1));
        var welcome = await watcher._handshake.Task.WaitAsync(TimeSpan.FromSeconds(30));
        if (welcome.Message is not HelloOk)
        {
            await watcher.DisposeAsync();
            throw new InvalidOperationException($"the broker refused the handshake with {welcome.Header.Opcode}");
        }

        return watcher;
    }

    /// <summary>Sends TopologyRequest and waits for the reply; returns its whole frame.</summary>
    public async Task<byte[]> RequestTopologyAsync()
    {
        var reply = new TaskCompletionSource<(long, ulong, byte[])>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _reply = reply;
        }

        await SendAsync(FrameEncoder.EncodeToArray(TopologyRequest.Instance, 2));
        var (_, generation, frame) = await reply.Task.WaitAsync(TimeSpan.FromSeconds(30));
        lock (_gate)
        {
            Generation = Math.Max(Generation, generation);
        }

        return frame;
    }

    /// <summary>Waits, from now on, for a push of a generation after the newest one seen.</summary>
    public void AwaitNextGeneration()
    {
        lock (_gate)
        {
            _awaited = Generation + 1;
            _arrival = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        try
        {
            await _readLoop.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
        _sending.Dispose();
    }

    // Pongs from the read loop and requests from the caller must not interleave on the socket.
    private async Task SendAsync(byte[] frame)
    {
        await _sending.WaitAsync();
        try
        {
            await _socket.SendAsync(frame.AsMemory(), SocketFlags.None);
        }
        finally
        {
            _sending.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[1 << 20];
        var filled = 0;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                var read = await _socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                filled += read;
                var consumed = 0;
                while (filled - consumed >= FrameHeader.Size)
                {
                    var header = FrameHeader.Parse(buffer.AsSpan(consumed), MaxFrameBytes, out _);
                    var length = FrameHeader.Size + (int)header.BodyLength;
                    if (filled - consumed < length)
                    {
                        break;
                    }

                    await OnFrameAsync(header, buffer.AsMemory(consumed, length));
                    consumed += length;
                }

                Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
                filled -= consumed;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task OnFrameAsync(FrameHeader header, ReadOnlyMemory<byte> frame)
    {
        var now = Stopwatch.GetTimestamp();
        switch (header.Opcode)
        {
            case Opcode.HelloOk or Opcode.Error when !_handshake.Task.IsCompleted:
                _handshake.TrySetResult(FrameDecoder.Decode(frame, MaxFrameBytes));
                break;
            case Opcode.Ping:
                await SendAsync(FrameEncoder.EncodeToArray(Pong.Instance, header.RequestId));
                break;
            case Opcode.Topology:
                var generation = GenerationOf(frame[FrameHeader.Size..]);
                lock (_gate)
                {
                    if (header.RequestId != 0)
                    {
                        _reply?.TrySetResult((now, generation, frame.ToArray()));
                        return;
                    }

                    Generation = Math.Max(Generation, generation);
                    if (_arrival is { } arrival && generation >= _awaited)
                    {
                        arrival.TrySetResult(now);
                    }
                }

                break;
        }
    }

    // A Topology body is an array whose first element is the generation (spec: Topology field 0).
    private static ulong GenerationOf(ReadOnlyMemory<byte> body)
    {
        var reader = new MessagePackReader(new ReadOnlySequence<byte>(body));
        reader.ReadArrayHeader();
        return reader.ReadUInt64();
    }
}
