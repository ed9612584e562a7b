// The open sessions: counted for the connection limit and metrics, listed for the admin endpoint and the
// topology pushes, closed together at shutdown. Beside them, the dormant sessions (specification section 4.5).
using System.Collections.Concurrent;

namespace Sinew.Broker.Network;

internal sealed partial class SessionRegistry : IConnectionDirectory
{
    private readonly ConcurrentDictionary<string, Session> _sessions = new();
    private int _reserved;

    public int Count => _sessions.Count;

    /// <summary>The open sessions, handshake done or not.</summary>
    public IEnumerable<Session> All => _sessions.Values;

    public IReadOnlyList<ConnectionSummary> Connections() =>
        [.. _sessions.Values.Select(s => s.Describe()).OfType<ConnectionSummary>().Concat(DormantSummaries())
            .OrderBy(c => c.ConnectedAtMs).ThenBy(c => c.Id, StringComparer.Ordinal)];

    /// <summary>Takes one of <paramref name="limit"/> connection places, or none when all are taken. Counting and
    /// taking are one atomic step, so connections accepted at the same moment cannot overshoot the limit.</summary>
    public bool TryReserve(int limit)
    {
        if (Interlocked.Increment(ref _reserved) <= limit)
        {
            return true;
        }

        Interlocked.Decrement(ref _reserved);
        return false;
    }

    /// <summary>Gives back a place taken by <see cref="TryReserve"/>.</summary>
    public void Release() => Interlocked.Decrement(ref _reserved);

    /// <summary>Set once the broker serves; connections before that are refused as still starting.</summary>
    public bool Started { get; private set; }

    /// <summary>Set when shutdown begins: new connections are refused.</summary>
    public bool Stopping { get; private set; }

    /// <summary>Starts accepting connections, and ending dormant sessions whose grace window passed.</summary>
    public void Start()
    {
        StartExpiry();
        Started = true;
    }

    public void Add(Session session) => _sessions[session.Id] = session;

    public void Remove(Session session) => _sessions.TryRemove(session.Id, out _);

    /// <summary>Refuses new connections, tells every client its subscriptions end and that the broker is going
    /// away, returns their deliveries and closes their connections, waiting up to <paramref name="timeout"/>
    /// (the deadline the notice names) for them to finish.</summary>
    public async Task CloseAllAsync(TimeSpan timeout)
    {
        Stopping = true;
        await EndDormantAsync().ConfigureAwait(false);
        var deadline = DateTimeOffset.UtcNow + timeout;
        foreach (var session in _sessions.Values)
        {
            session.CloseForShutdown((ulong)deadline.ToUnixTimeMilliseconds());
        }

        while (!_sessions.IsEmpty && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }

        foreach (var session in _sessions.Values)
        {
            session.Abort("the broker is shutting down");
        }
    }
}
