// One direction of a proxied connection: reads from one socket and writes to the other, and is where the
// per-direction faults act (stall, delay, discard, a byte budget, a half-close).
using System.Net.Sockets;

namespace Sinew.FaultProxy;

internal sealed class Pump
{
    private const int ChunkBytes = 64 * 1024;

    private readonly Socket _from;
    private readonly Socket _to;
    private readonly Action<CloseMode> _closeConnection;
    private readonly object _gate = new();
    private TaskCompletionSource? _stalled;
    private int _delayMs;
    private bool _discard;
    private bool _halfClosed;
    private long _budget = -1;
    private CloseMode _whenSpent;
    private long _forwarded;
    private long _read;

    public Pump(Directions direction, Socket from, Socket to, Action<CloseMode> closeConnection)
    {
        Direction = direction;
        _from = from;
        _to = to;
        _closeConnection = closeConnection;
    }

    public Directions Direction { get; }

    /// <summary>Bytes written to the destination so far.</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    /// <summary>Bytes read from the source so far, forwarded or not: a test sees a reply arrive at the proxy even
    /// while it is being discarded.</summary>
    public long Read => Interlocked.Read(ref _read);

    /// <summary>What the pump does now, for the connection list: flowing, stalled, delayed, discarding, half-closed.</summary>
    public string State
    {
        get
        {
            lock (_gate)
            {
                return _halfClosed ? "half-closed"
                    : _stalled is not null ? "stalled"
                    : _discard ? "discarding"
                    : _delayMs > 0 ? $"delayed {_delayMs} ms"
                    : "flowing";
            }
        }
    }

    /// <summary>Stops forwarding: nothing more is read from the source, so the sender's writes back up in TCP.</summary>
    public void Stall()
    {
        lock (_gate)
        {
            _stalled ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Forwards again, starting with what a stall held back.</summary>
    public void Resume()
    {
        lock (_gate)
        {
            _stalled?.TrySetResult();
            _stalled = null;
        }
    }

    public void Delay(int milliseconds)
    {
        lock (_gate)
        {
            _delayMs = milliseconds;
        }
    }

    /// <summary>Reads on but forwards nothing more, and does not pass on an end of stream either.</summary>
    public void Discard()
    {
        lock (_gate)
        {
            _discard = true;
        }

        Resume();
    }

    /// <summary>Forwards <paramref name="bytes"/> more bytes, then closes the connection (or discards, for
    /// <see cref="CloseMode.Drop"/>).</summary>
    public void CloseAfter(long bytes, CloseMode then)
    {
        lock (_gate)
        {
            _budget = bytes;
            _whenSpent = then;
        }

        if (bytes == 0)
        {
            Spend(0);
        }
    }

    /// <summary>Sends an end of stream (FIN) to the destination; what the source sends later is discarded. The
    /// other direction is untouched.</summary>
    public void HalfClose()
    {
        lock (_gate)
        {
            if (_halfClosed)
            {
                return;
            }

            _halfClosed = true;
            _discard = true;
        }

        Resume();
        ShutdownDestination();
    }

    /// <summary>Copies until the source ends, either socket fails, or <paramref name="stopping"/> fires. Returns
    /// true when it ended at the source's end of stream (an orderly end), false on a failure.</summary>
    public async Task<bool> RunAsync(CancellationToken stopping)
    {
        var buffer = new byte[ChunkBytes];
        try
        {
            while (true)
            {
                await WhileStalledAsync(stopping).ConfigureAwait(false);
                var read = await _from.ReceiveAsync(buffer, SocketFlags.None, stopping).ConfigureAwait(false);
                if (read == 0)
                {
                    lock (_gate)
                    {
                        if (_discard)
                        {
                            return true;
                        }
                    }

                    ShutdownDestination();
                    return true;
                }

                Interlocked.Add(ref _read, read);

                // A stall that came while the read was pending holds this chunk back too.
                await WhileStalledAsync(stopping).ConfigureAwait(false);
                int delay;
                lock (_gate)
                {
                    delay = _delayMs;
                }

                if (delay > 0)
                {
                    await Task.Delay(delay, stopping).ConfigureAwait(false);
                }

                await ForwardAsync(buffer.AsMemory(0, read), stopping).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            return false;
        }
    }

    private async Task ForwardAsync(ReadOnlyMemory<byte> chunk, CancellationToken stopping)
    {
        int count;
        lock (_gate)
        {
            if (_discard)
            {
                return;
            }

            count = _budget < 0 ? chunk.Length : (int)Math.Min(chunk.Length, _budget);
        }

        var rest = chunk[..count];
        while (!rest.IsEmpty)
        {
            var sent = await _to.SendAsync(rest, SocketFlags.None, stopping).ConfigureAwait(false);
            rest = rest[sent..];
            Interlocked.Add(ref _forwarded, sent);
        }

        Spend(count);
    }

    private void Spend(int count)
    {
        CloseMode then;
        lock (_gate)
        {
            if (_budget < 0)
            {
                return;
            }

            _budget -= count;
            if (_budget > 0)
            {
                return;
            }

            _budget = -1;
            then = _whenSpent;
            if (then == CloseMode.Drop)
            {
                _discard = true;
                return;
            }
        }

        _closeConnection(then);
    }

    private Task WhileStalledAsync(CancellationToken stopping)
    {
        lock (_gate)
        {
            return _stalled?.Task.WaitAsync(stopping) ?? Task.CompletedTask;
        }
    }

    private void ShutdownDestination()
    {
        try
        {
            _to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The destination is gone already; there is nothing left to end.
        }
    }
}
