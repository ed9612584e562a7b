// How many times, and how patiently, the client reconnects after the connection dropped.
namespace Sinew.Client;

/// <summary>Automatic reconnection. When an operation finds the connection dropped, the client reconnects
/// before running it: up to <see cref="MaxAttempts"/> attempts (each tries every endpoint in order), waiting
/// <see cref="InitialDelay"/> after the first failure and doubling up to <see cref="MaxDelay"/>. Operations in
/// flight when the connection dropped are never replayed.</summary>
public sealed record ReconnectPolicy
{
    // New instances rather than shared ones: configuration binding sets init-only properties through
    // reflection, and must never change a policy other options objects use.

    /// <summary>5 attempts, backoff from 100 ms doubling to 5 s.</summary>
    public static ReconnectPolicy Default => new();

    /// <summary>No automatic reconnection: after a drop, every operation fails with
    /// <see cref="ConnectionLostException"/>; create a new client.</summary>
    public static ReconnectPolicy Disabled => new() { MaxAttempts = 0 };

    /// <summary>Connection attempts per reconnection, 0 to disable reconnection (default: 5).</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The wait after the first failed attempt (default: 100 ms).</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between attempts (default: 5 s).</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The wait after failed attempt <paramref name="failedAttempt"/> (1-based): the initial delay,
    /// doubled for every earlier failure, capped at the maximum.</summary>
    internal TimeSpan DelayAfter(int failedAttempt)
    {
        var factor = Math.Pow(2, Math.Min(failedAttempt - 1, 30));
        var ticks = Math.Min(InitialDelay.Ticks * factor, MaxDelay.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }
}
