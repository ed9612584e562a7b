// How many times, and how patiently, the client reconnects after the connection dropped.
namespace Sinew.Client;

/// <summary>Automatic reconnection. When an operation finds the connection dropped, the client reconnects
/// before running it: up to <see cref="MaxAttempts"/> attempts, each trying every endpoint in order. The first
/// attempt starts at once; after a failed attempt the client waits <see cref="InitialDelay"/>, doubling after each
/// further failure up to <see cref="MaxDelay"/>, and every wait is randomly shortened by up to <see cref="Jitter"/>
/// of itself so that many clients cut off together do not reconnect in step. Operations in
/// flight when the connection dropped are never replayed.</summary>
public sealed record ReconnectPolicy
{
    // New instances rather than shared ones: configuration binding sets init-only properties through
    // reflection, and must never change a policy other options objects use.

    /// <summary>5 attempts, backoff from 100 ms doubling to 5 s, with 20 % jitter.</summary>
    public static ReconnectPolicy Default => new();

    /// <summary>No automatic reconnection: after a drop, every operation fails with
    /// <see cref="ConnectionLostException"/>; create a new client.</summary>
    public static ReconnectPolicy Disabled => new() { MaxAttempts = 0 };

    /// <summary>Connection attempts per reconnection, 0 to disable reconnection (default: 5).</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The wait after the first failed attempt, before jitter (default: 100 ms).</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between attempts before jitter: the doubling stops here (default: 5 s).</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The largest share of each wait, from 0 to 1, by which it is randomly shortened: with 0.2 a nominal
    /// wait of 1 s lasts between 0.8 s and 1 s, so no wait exceeds <see cref="MaxDelay"/>; 0 gives exact waits
    /// (default: 0.2).</summary>
    public double Jitter { get; init; } = 0.2;

    /// <summary>The wait after failed attempt <paramref name="failedAttempt"/> (1-based) before jitter: the initial
    /// delay, doubled for every earlier failure, capped at the maximum.</summary>
    internal TimeSpan NominalDelayAfter(int failedAttempt)
    {
        var factor = Math.Pow(2, Math.Min(failedAttempt - 1, 30));
        var ticks = Math.Min(InitialDelay.Ticks * factor, MaxDelay.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>The wait after failed attempt <paramref name="failedAttempt"/> with jitter applied.</summary>
    /// <param name="failedAttempt">The attempt that failed, from 1.</param>
    /// <param name="sample">A uniformly distributed number in [0, 1): 0 gives the nominal wait, values towards 1
    /// the shortest. Passed in so the computation is deterministic.</param>
    internal TimeSpan DelayAfter(int failedAttempt, double sample)
    {
        var nominal = NominalDelayAfter(failedAttempt).Ticks;
        var jitter = Math.Clamp(Jitter, 0, 1);
        var factor = 1 - (jitter * Math.Clamp(sample, 0, 1));
        return TimeSpan.FromTicks((long)(nominal * factor));
    }
}
