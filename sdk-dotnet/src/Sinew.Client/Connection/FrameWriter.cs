// The write path: callers encode frames into a shared pending buffer; one writer loop sends whatever has
// accumulated in a single socket write, so a burst of publishes or acks costs few system calls.
using System.Net.Sockets;
using System.Threading.Channels;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Client.Connection;

/// <summary>Coalesces frames into few socket writes. <see cref="TryWrite"/> encodes a frame straight into the
/// pending buffer under a short lock; the loop in <see cref="RunAsync"/> swaps the pending buffer with the one it
/// has just sent and writes the whole batch. Publishers wait in <see cref="WaitForRoomAsync"/> while more than
/// <see cref="HighWatermark"/> bytes are queued, so a fast producer cannot outgrow a slow socket.</summary>
internal sealed class FrameWriter : IDisposable
{
    /// <summary>Bytes queued beyond which publishers wait for the socket to catch up.</summary>
    public const int HighWatermark = 4 * 1024 * 1024;

    private const int InitialBufferBytes = 256 * 1024;

    private readonly object _gate = new();
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true, SingleWriter = false });

    private PooledBufferWriter _pending = new(InitialBufferBytes);
    private PooledBufferWriter _sending = new(InitialBufferBytes);
    private TaskCompletionSource? _roomWaiter;
    private bool _closed;
    private long _lastWriteMs = Environment.TickCount64;

    /// <summary>The largest body the peer accepts; frames over it are refused before they are queued.</summary>
    public int MaxBodyBytes { get; set; } = FrameLimits.HandshakeMaxFrameBytes;

    /// <summary>The protocol version frames are encoded in.</summary>
    public byte Version { get; set; } = ProtocolVersions.Handshake;

    /// <summary>When the last socket write completed (<see cref="Environment.TickCount64"/>).</summary>
    public long LastWriteMs => Volatile.Read(ref _lastWriteMs);

    /// <summary>Encodes and queues one frame.</summary>
    /// <returns>False when the writer is closed; nothing was queued.</returns>
    /// <exception cref="InvalidArgumentException">The frame is larger than the peer accepts, or a string in it is
    /// not valid Unicode.</exception>
    public bool TryWrite(IWireMessage message, uint requestId, FrameFlags flags = FrameFlags.None)
    {
        bool wasEmpty;
        lock (_gate)
        {
            if (_closed)
            {
                return false;
            }

            var before = _pending.WrittenCount;
            int total;
            try
            {
                total = FrameEncoder.Encode(_pending, message, requestId, flags, Version);
            }
            catch (ArgumentException e)
            {
                _pending.Truncate(before);
                throw new InvalidArgumentException($"The {message.Opcode} frame cannot be encoded: {e.Message}", "message", "not_encodable", e);
            }

            var body = total - FrameHeader.Size;
            if (body > MaxBodyBytes)
            {
                _pending.Truncate(before);
                throw new InvalidArgumentException(
                    $"The {message.Opcode} frame would be {body} bytes; the broker accepts at most {MaxBodyBytes}. Shrink the payload or split the batch.",
                    nameof(OutgoingMessage.Payload), "frame_too_large");
            }

            wasEmpty = before == 0;
        }

        if (wasEmpty)
        {
            _signal.Writer.TryWrite(true);
        }

        return true;
    }

    /// <summary>Completes at once unless more than <see cref="HighWatermark"/> bytes are queued; then when the
    /// writer has taken them. Completes too when the writer closes (the next write then fails).</summary>
    public ValueTask WaitForRoomAsync(CancellationToken cancellationToken)
    {
        Task waiter;
        lock (_gate)
        {
            if (_closed || _pending.WrittenCount < HighWatermark)
            {
                return ValueTask.CompletedTask;
            }

            _roomWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiter = _roomWaiter.Task;
        }

        return new ValueTask(waiter.WaitAsync(cancellationToken));
    }

    /// <summary>Sends queued frames until <see cref="Close"/> is called or the socket fails.</summary>
    /// <exception cref="SocketException">The socket failed.</exception>
    public async Task RunAsync(Socket socket, CancellationToken cancellationToken)
    {
        var reader = _signal.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            reader.TryRead(out _);
            while (true)
            {
                PooledBufferWriter batch;
                TaskCompletionSource? room;
                lock (_gate)
                {
                    if (_closed || _pending.WrittenCount == 0)
                    {
                        break;
                    }

                    batch = _pending;
                    _pending = _sending;
                    _sending = batch;
                    room = _roomWaiter;
                    _roomWaiter = null;
                }

                room?.TrySetResult();
                var remaining = batch.WrittenMemory;
                while (!remaining.IsEmpty)
                {
                    var sent = await socket.SendAsync(remaining, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                    remaining = remaining[sent..];
                }

                Volatile.Write(ref _lastWriteMs, Environment.TickCount64);
                batch.Reset();
            }
        }
    }

    /// <summary>Stops accepting frames and ends <see cref="RunAsync"/>; frames not yet sent are dropped.</summary>
    public void Close()
    {
        TaskCompletionSource? room;
        lock (_gate)
        {
            _closed = true;
            room = _roomWaiter;
            _roomWaiter = null;
        }

        room?.TrySetResult();
        _signal.Writer.TryComplete();
    }

    /// <summary>Returns the buffers to the pool; call once <see cref="RunAsync"/> has ended.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _closed = true;
            _pending.Dispose();
            _sending.Dispose();
        }
    }
}
