// Checks a duration or time from the wire against its range (specification sections 7.4 and 7.5). A value
// outside it is an `invalid` error naming the field, with reason out_of_range, raised before anything changes.
using System.Globalization;
using Sinew.Protocol.Timing;

namespace Sinew.Broker.Queues;

internal static class DurationValidator
{
    /// <summary>Throws <c>invalid</c> when <paramref name="value"/> is present and outside the field's range.</summary>
    /// <param name="field">The field.</param>
    /// <param name="value">The value from the wire; null passes.</param>
    /// <param name="nowMs">The broker's clock, against which times are checked.</param>
    /// <param name="why">A sentence for the error message in place of the generic one.</param>
    public static void Check(DurationField field, ulong? value, long nowMs, string? why = null)
    {
        if (value is not { } v || DurationRules.IsValid(field, v, nowMs))
        {
            return;
        }

        var name = field.ErrorField();
        var message = why ?? (field.IsTime()
            ? $"{name} {v} is more than {Describe(field.Max())} after the broker's clock; a time may be at most that far ahead"
            : $"{name} must be {Describe(field.Min())} to {Describe(field.Max())}, not {v.ToString(CultureInfo.InvariantCulture)} ms");
        throw BrokerErrorException.Invalid(name, message, DurationRules.OutOfRange);
    }

    /// <summary>A length of time for messages: "100 ms", "12 h", "3650 days".</summary>
    public static string Describe(ulong milliseconds) => milliseconds switch
    {
        >= 86_400_000 when milliseconds % 86_400_000 == 0 => $"{milliseconds / 86_400_000} days",
        >= 3_600_000 when milliseconds % 3_600_000 == 0 => $"{milliseconds / 3_600_000} h",
        >= 60_000 when milliseconds % 60_000 == 0 => $"{milliseconds / 60_000} min",
        >= 1000 when milliseconds % 1000 == 0 => $"{milliseconds / 1000} s",
        _ => $"{milliseconds} ms",
    };
}
