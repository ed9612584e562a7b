// Conversions between the API's TimeSpan and DateTimeOffset values and the protocol's milliseconds.
namespace Sinew.Client.Internal;

internal static class Durations
{
    /// <summary>Whole milliseconds, rounded up so a delay or lease is never shorter than asked.</summary>
    public static ulong ToMilliseconds(TimeSpan value)
    {
        if (value < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "durations cannot be negative");
        }

        // In ulong arithmetic, so rounding TimeSpan.MaxValue up cannot overflow.
        return ((ulong)value.Ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
    }

    public static ulong? ToMilliseconds(TimeSpan? value) => value is { } v ? ToMilliseconds(v) : null;

    public static TimeSpan FromMilliseconds(ulong milliseconds) =>
        milliseconds >= (ulong)(TimeSpan.MaxValue.Ticks / TimeSpan.TicksPerMillisecond)
            ? TimeSpan.MaxValue
            : TimeSpan.FromTicks((long)milliseconds * TimeSpan.TicksPerMillisecond);

    public static DateTimeOffset FromUnixMilliseconds(ulong milliseconds)
    {
        const ulong max = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z, the largest DateTimeOffset
        return DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Min(milliseconds, max));
    }

    /// <summary>Unix milliseconds of a time; times before 1970 are refused by the caller's validation.</summary>
    public static ulong ToUnixMilliseconds(DateTimeOffset value) => (ulong)Math.Max(0, value.ToUnixTimeMilliseconds());

    /// <summary>A human-readable duration for messages: "250 ms", "30 s", "2 min", "12 h", "3650 days".</summary>
    public static string Describe(TimeSpan value) => value.TotalMilliseconds switch
    {
        < 1000 => $"{value.TotalMilliseconds:0.#} ms",
        < 120_000 => $"{value.TotalSeconds:0.#} s",
        < 7_200_000 => $"{value.TotalMinutes:0.#} min",
        < 172_800_000 => $"{value.TotalHours:0.#} h",
        _ => $"{value.TotalDays:0.#} days",
    };

    /// <summary>A limit in milliseconds, described as <see cref="Describe(TimeSpan)"/> does.</summary>
    public static string Describe(ulong milliseconds) => Describe(FromMilliseconds(milliseconds));
}
