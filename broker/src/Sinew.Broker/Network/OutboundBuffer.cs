// The send side of a connection: frames from any thread are encoded into a buffer under a lock, and one
// writer loop swaps buffers and writes them to the socket, so many frames share one write. The buffers are
// rented from the shared pool and given back after each write, so an idle connection holds none.
using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Network;

internal sealed class OutboundBuffer
{
    private readonly object _lock = new();
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private PooledBufferWriter _current = new();
    private PooledBufferWriter _writing = new();
    private List<Action> _afterWrite = [];
    private List<Action> _running = [];
    private bool _closed;

    /// <summary>Bytes waiting to be written; a reader that stops reading makes this grow.</summary>
    public int Pending
    {
        get
        {
            lock (_lock)
            {
                return _current.WrittenCount;
            }
        }
    }

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
                (_afterWrite, _running) = (_running, _afterWrite);
            }

            if (_writing.WrittenCount > 0)
            {
                FlushResult result;
                try
                {
                    result = await output.WriteAsync(_writing.WrittenMemory, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    _writing.Release();
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
                    if (_current.WrittenCount == 0)
                    {
                        return;
                    }
                }
            }
        }
    }
}
