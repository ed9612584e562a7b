// Flow control on deliveries: a consumer that cannot keep up asks the connection to stop reading its socket, so
// the broker's pushes wait in TCP rather than in this process's memory.
namespace Sinew.Client.Connection;

internal sealed partial class SinewConnection
{
    private readonly object _flowGate = new();
    private readonly HashSet<object> _readPausedBy = [];
    private TaskCompletionSource? _readResumed;
    private volatile bool _readingPaused;

    /// <summary>Whether the read loop has stopped reading the socket.</summary>
    public bool IsReadingPaused => _readingPaused;

    /// <summary>Asks the read loop to stop reading the socket until <paramref name="holder"/> withdraws the request.
    /// Frames already received are still dispatched. The socket is read regardless while a request waits for its
    /// reply: the reply can only be reached by reading what the broker sent before it, and the caller waiting for
    /// it may be the very consumer that is behind.</summary>
    public void PauseReading(object holder)
    {
        lock (_flowGate)
        {
            _readPausedBy.Add(holder);
        }
    }

    /// <summary>Withdraws <paramref name="holder"/>'s request; reading resumes once no holder is left.</summary>
    public void ResumeReading(object holder)
    {
        lock (_flowGate)
        {
            if (!_readPausedBy.Remove(holder))
            {
                return;
            }
        }

        WakeReader();
    }

    /// <summary>Lets a paused read loop look again: a holder left, or a request now waits for its reply.</summary>
    private void WakeReader()
    {
        TaskCompletionSource? resumed;
        lock (_flowGate)
        {
            resumed = _readResumed;
            _readResumed = null;
        }

        resumed?.TrySetResult();
    }

    /// <summary>Returns once the socket may be read: no holder asks for a pause, or a request awaits its reply.</summary>
    private async ValueTask WhileReadingPausedAsync()
    {
        while (true)
        {
            Task resumed;
            lock (_flowGate)
            {
                if (_readPausedBy.Count == 0 || _pending.AwaitedCount > 0)
                {
                    if (_readingPaused)
                    {
                        // Silence while paused was this side's doing; the broker's is timed from now on. Written before
                        // the flag clears, so the heartbeat never sees the old time with the pause lifted.
                        Volatile.Write(ref _lastReceivedMs, Environment.TickCount64);
                        _readingPaused = false;
                    }

                    return;
                }

                _readingPaused = true;
                _readResumed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                resumed = _readResumed.Task;
            }

            await resumed.WaitAsync(_stop.Token).ConfigureAwait(false);
        }
    }

    /// <summary>Forgets every holder when the connection ends; nothing reads any more.</summary>
    private void ReleaseReadingHolders()
    {
        lock (_flowGate)
        {
            _readPausedBy.Clear();
        }

        WakeReader();
    }
}
