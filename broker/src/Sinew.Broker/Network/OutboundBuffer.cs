// The send side of a connection: frames from any thread are encoded into a buffer under a lock, and one
// writer loop swaps buffers and writes them to the socket, so many frames share one write. The buffers are
// rented from the shared pool and given back after each write, so an idle connection holds none. A frame encoded
// once for many connections (a Topology, pushed or answering a request) is queued by reference, in order with the
// rest, and is not copied into this buffer: each connection holds a reference, not its own copy of the catalogue.
using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Threading.Channels;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Network;

internal sealed class OutboundBuffer
{
    private const int SharedSliceBytes = 64 * 1024;

    private readonly object _lock = new();
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private PooledBufferWriter _current = new();
    private PooledBufferWriter _writing = new();
    // Shared frames, each with the length of _current it follows.
    private List<(int After, ReadOnlyMemory<byte> Frame)> _shared = [];
    private List<(int After, ReadOnlyMemory<byte> Frame)> _sharedWriting = [];
    private int _sharedBytes;
    private List<Action> _afterWrite = [];
    private List<Action> _running = [];
    private volatile bool _closed;

    /// <summary>Bytes waiting to be written; a reader that stops reading makes this grow.</summary>
    public int Pending
    {
        get
        {
            lock (_lock)
            {
                return _current.WrittenCount + _sharedBytes;
            }
        }
    }

    /// <summary>Set once the connection is closing: frames are dropped from then on.</summary>
    public bool IsClosed => _closed;

    /// <summary>Queues a frame. <paramref name="onWritten"/> runs after the frame has been handed to the socket.</summary>
    /// <returns>False when the connection is closing and the frame was dropped.</returns>
    public bool Send(IWireMessage message, uint requestId = 0, FrameFlags flags = FrameFlags.None, Action? onWritten = null)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return false;
            }

            FrameEncoder.Encode(_current, message, requestId, flags);
            if (onWritten is not null)
            {
                _afterWrite.Add(onWritten);
            }
        }

        _signal.Writer.TryWrite(true);
        return true;
    }

    /// <summary>Queues a whole frame encoded once for many connections; it is written from
    /// <paramref name="frame"/> itself, which must not change. With a <paramref name="requestId"/>, the frame answers
    /// that request: only its 16-byte header is copied, to carry the id.</summary>
    /// <returns>False when the connection is closing and the frame was dropped.</returns>
    public bool SendShared(ReadOnlyMemory<byte> frame, uint requestId = 0, Action? onWritten = null)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return false;
            }

            if (requestId != 0)
            {
                var header = _current.GetSpan(FrameHeader.Size)[..FrameHeader.Size];
                frame.Span[..FrameHeader.Size].CopyTo(header);
                BinaryPrimitives.WriteUInt32BigEndian(header[8..], requestId);
                _current.Advance(FrameHeader.Size);
                frame = frame[FrameHeader.Size..];
            }

            _shared.Add((_current.WrittenCount, frame));
            _sharedBytes += frame.Length;
            if (onWritten is not null)
            {
                _afterWrite.Add(onWritten);
            }
        }

        _signal.Writer.TryWrite(true);
        return true;
    }

    /// <summary>Stops accepting frames; the writer loop writes what is queued and ends.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
        }

        _signal.Writer.TryComplete();
    }

    public async Task RunAsync(PipeWriter output, CancellationToken cancellationToken)
    {
        var reader = _signal.Reader;
        while (true)
        {
            var more = await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
            reader.TryRead(out _);
            lock (_lock)
            {
                (_current, _writing) = (_writing, _current);
                (_shared, _sharedWriting) = (_sharedWriting, _shared);
                (_afterWrite, _running) = (_running, _afterWrite);
                _sharedBytes = 0;
            }

            if (_writing.WrittenCount > 0 || _sharedWriting.Count > 0)
            {
                FlushResult result;
                try
                {
                    result = await WriteAsync(output, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    _writing.Release();
                    _sharedWriting.Clear();
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    return;
                }
            }

            foreach (var action in _running)
            {
                action();
            }

            _running.Clear();
            if (!more)
            {
                lock (_lock)
                {
                    if (_current.WrittenCount == 0 && _shared.Count == 0)
                    {
                        return;
                    }
                }
            }
        }
    }

    // The buffered bytes with the shared frames in their places. A large shared frame goes to the socket's pipe a
    // slice at a time, each flushed, so a connection holds a bounded part of it, not its own copy of the whole.
    private async ValueTask<FlushResult> WriteAsync(PipeWriter output, CancellationToken cancellationToken)
    {
        if (_sharedWriting.Count == 0)
        {
            return await output.WriteAsync(_writing.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }

        var from = 0;
        foreach (var (after, frame) in _sharedWriting)
        {
            output.Write(_writing.WrittenMemory.Span[from..after]);
            from = after;
            for (var at = 0; at < frame.Length; at += SharedSliceBytes)
            {
                var length = Math.Min(SharedSliceBytes, frame.Length - at);
                output.Write(frame.Span.Slice(at, length));
                if (at + length < frame.Length)
                {
                    var flushed = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    if (flushed.IsCompleted || flushed.IsCanceled)
                    {
                        return flushed;
                    }
                }
            }
        }

        output.Write(_writing.WrittenMemory.Span[from..]);
        return await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
