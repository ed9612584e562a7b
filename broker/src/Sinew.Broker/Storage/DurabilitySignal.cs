// How far a partition's log is durable, and who is waiting for it to get further. Publishers wait before
// they confirm, settlements before they answer, snapshots before they are written. A failed write fails
// every waiter at once, and every later one until a write succeeds: nothing past the durable end may count.
namespace Sinew.Broker.Storage;

/// <summary>The durable end of one log and the callbacks waiting on it. Not thread-safe: its owner calls it
/// under its own lock and runs the callbacks it hands back after releasing that lock. <see cref="DurableEnd"/>
/// and <see cref="Failure"/> may be read from any thread.</summary>
internal sealed class DurabilitySignal
{
    private readonly Queue<(long LsnEnd, Action<BrokerErrorException?> Callback)> _waiters = new();
    private long _durableEnd;
    private BrokerErrorException? _failure;

    /// <summary>The log position up to which everything is durable.</summary>
    public long DurableEnd => Volatile.Read(ref _durableEnd);

    /// <summary>Why the log cannot be written at the moment, or null when it can.</summary>
    public BrokerErrorException? Failure => Volatile.Read(ref _failure);

    /// <summary>Queues <paramref name="callback"/> until the log is durable up to <paramref name="lsnEnd"/>.</summary>
    /// <returns>False, queuing nothing, when there is nothing to wait for: the position is already durable
    /// (<paramref name="failure"/> is null), or the log cannot be written now (<paramref name="failure"/> says
    /// why). The caller then runs the callback itself.</returns>
    public bool TryWait(long lsnEnd, Action<BrokerErrorException?> callback, out BrokerErrorException? failure)
    {
        failure = null;
        if (_durableEnd >= lsnEnd)
        {
            return false;
        }

        if (_failure is { } failed)
        {
            failure = failed;
            return false;
        }

        _waiters.Enqueue((lsnEnd, callback));
        return true;
    }

    /// <summary>Records that the log is durable up to <paramref name="end"/>, which also ends a failure, and adds
    /// the callbacks that were waiting for no further than that to <paramref name="due"/>.</summary>
    /// <returns>True when this ends a failure.</returns>
    public bool Advance(long end, ref List<Action<BrokerErrorException?>>? due)
    {
        Volatile.Write(ref _durableEnd, end);
        var recovered = _failure is not null;
        Volatile.Write(ref _failure, null);
        while (_waiters.TryPeek(out var waiter) && waiter.LsnEnd <= end)
        {
            _waiters.Dequeue();
            (due ??= []).Add(waiter.Callback);
        }

        return recovered;
    }

    /// <summary>Records that the log cannot be written, and moves every waiting callback to <paramref name="failed"/>
    /// (they are to be run with <paramref name="error"/>).</summary>
    /// <returns>True when the log was writable until now.</returns>
    public bool Fail(BrokerErrorException error, List<Action<BrokerErrorException?>> failed)
    {
        var first = _failure is null;
        Volatile.Write(ref _failure, error);
        while (_waiters.TryDequeue(out var waiter))
        {
            failed.Add(waiter.Callback);
        }

        return first;
    }
}
