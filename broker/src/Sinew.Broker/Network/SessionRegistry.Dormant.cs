// Dormant sessions (specification section 4.5): a session whose connection broke without Goodbye waits here for the
// reconnect grace window, found by a hash of its resume token. A background loop ends those whose window passed,
// returning what they held as a broken connection does. Their number is bounded: past the bound, the session
// dormant longest ends first.
using Microsoft.Extensions.Logging;
using Sinew.Broker.Diagnostics;

namespace Sinew.Broker.Network;

internal sealed partial class SessionRegistry
{
    private readonly object _dormantLock = new();
    private readonly Dictionary<string, SessionState> _dormant = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _stopExpiry = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long _graceMs;
    private readonly int _maxDormant;
    private readonly Func<long> _nowMs;
    private readonly ILogger _logger;
    private Task _expiry = Task.CompletedTask;
    private bool _dormantClosed;

    public SessionRegistry(long reconnectGraceMs, int maxDormant, Func<long> nowMs, ILogger logger)
    {
        _graceMs = reconnectGraceMs;
        _maxDormant = Math.Max(1, maxDormant);
        _nowMs = nowMs;
        _logger = logger;
    }

    /// <summary>Sessions waiting for their client to resume them.</summary>
    public int DormantCount
    {
        get
        {
            lock (_dormantLock)
            {
                return _dormant.Count;
            }
        }
    }

    /// <summary>Keeps the session of a connection that broke for the grace window. False when there is no window
    /// (grace 0, or the broker is stopping): the caller ends the session.</summary>
    public bool TryLeaveDormant(SessionState state, Session connection, ConnectionSummary lastSeen)
    {
        if (_graceMs <= 0)
        {
            return false;
        }

        SessionState? evicted = null;
        lock (_dormantLock)
        {
            if (_dormantClosed || Stopping)
            {
                return false;
            }

            if (_dormant.Count >= _maxDormant)
            {
                evicted = _dormant.Values.MinBy(s => s.DormantUntilMs);
                _dormant.Remove(evicted!.TokenHash);
            }

            state.DormantUntilMs = _nowMs() + _graceMs;
            state.LastSeen = lastSeen;
            state.Detach(connection);
            // Auto-ack deliveries the connection did not write can never be settled; they go back now.
            state.ReturnUnwrittenAutoAck();
            _dormant[state.TokenHash] = state;
        }

        if (evicted is not null)
        {
            End(evicted, $"more than {_maxDormant} sessions were dormant");
        }

        return true;
    }

    /// <summary>Takes the dormant session <paramref name="token"/> resumes, if it belongs to <paramref name="user"/>
    /// and its window has not passed. A token of another user is unknown: it neither resumes nor ends the session.</summary>
    public SessionState? TryResume(ReadOnlySpan<byte> token, string? user)
    {
        var hash = SessionState.HashToken(token);
        lock (_dormantLock)
        {
            if (!_dormant.TryGetValue(hash, out var state) || !string.Equals(state.User, user, StringComparison.Ordinal)
                || state.DormantUntilMs <= _nowMs())
            {
                return null;
            }

            _dormant.Remove(hash);
            state.LastSeen = null;
            return state;
        }
    }

    private IEnumerable<ConnectionSummary> DormantSummaries()
    {
        List<SessionState> dormant;
        lock (_dormantLock)
        {
            dormant = [.. _dormant.Values];
        }

        foreach (var state in dormant)
        {
            if (state.LastSeen is { } seen)
            {
                yield return seen with
                {
                    State = ConnectionState.Dormant,
                    Subscriptions = state.SubscriptionsNow().Length,
                    UnsettledDeliveries = state.Deliveries.Count,
                    DormantUntilMs = state.DormantUntilMs,
                };
            }
        }
    }

    private void StartExpiry()
    {
        if (_graceMs > 0)
        {
            _expiry = Task.Run(ExpireLoopAsync);
        }
    }

    private async Task ExpireLoopAsync()
    {
        // A tenth of the window, so a session ends at most that late, within 10 ms..100 ms.
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(_graceMs / 10, 10, 100));
        while (!_stopExpiry.Task.IsCompleted)
        {
            await Task.WhenAny(Task.Delay(tick), _stopExpiry.Task).ConfigureAwait(false);
            List<SessionState>? expired = null;
            var now = _nowMs();
            lock (_dormantLock)
            {
                foreach (var state in _dormant.Values)
                {
                    if (state.DormantUntilMs <= now)
                    {
                        (expired ??= []).Add(state);
                    }
                }

                foreach (var state in expired ?? [])
                {
                    _dormant.Remove(state.TokenHash);
                }
            }

            foreach (var state in expired ?? [])
            {
                End(state, $"no client resumed it within {_graceMs} ms");
            }
        }
    }

    /// <summary>At shutdown: stops the loop and ends every dormant session. Their connections broke, so what they
    /// held counts a failure as it would have without a window.</summary>
    private async Task EndDormantAsync()
    {
        _stopExpiry.TrySetResult();
        await _expiry.ConfigureAwait(false);
        List<SessionState> dormant;
        lock (_dormantLock)
        {
            _dormantClosed = true;
            dormant = [.. _dormant.Values];
            _dormant.Clear();
        }

        foreach (var state in dormant)
        {
            End(state, "the broker is shutting down");
        }
    }

    private void End(SessionState state, string reason)
    {
        try
        {
            state.ReleaseEverything(HandedOut.Every);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.DormantSessionEnded(state.SessionId, $"{reason}; returning its deliveries failed: {e.Message}");
            return;
        }

        _logger.DormantSessionEnded(state.SessionId, reason);
    }
}
