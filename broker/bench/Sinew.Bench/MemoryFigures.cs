// How the memory modes report: megabytes for a process, bytes per item for what a number of items cost.
using System.Globalization;

namespace Sinew.Bench;

internal static class MemoryFigures
{
    public static string Megabytes(long? bytes) =>
        bytes is { } b ? (b / (1024.0 * 1024)).ToString("F0", CultureInfo.InvariantCulture) + " MB" : "n/a";

    /// <summary>What each of <paramref name="count"/> items added to the broker's resident memory.</summary>
    public static long? PerItem(long? before, long? after, int count) =>
        before is { } b && after is { } a && count > 0 ? (a - b) / count : null;

    /// <summary>Waits <paramref name="seconds"/> so the broker's memory settles (flushes, snapshots, timers) before it is read.</summary>
    public static Task SettleAsync(int seconds) => Task.Delay(TimeSpan.FromSeconds(seconds));
}
