// W3C trace context carried in message headers: injected on publish, extracted on delivery.
using System.Diagnostics;

namespace Sinew.Client.Diagnostics;

internal static class TraceContext
{
    /// <summary>The headers to send: the user's, plus <c>traceparent</c> and <c>tracestate</c> of
    /// <paramref name="activity"/> (or the ambient activity) when there is one. The user's own trace headers win,
    /// and nothing is added when it would push the message over the broker's header limit.</summary>
    public static IReadOnlyDictionary<string, string>? Inject(IReadOnlyDictionary<string, string>? headers, Activity? activity, uint maxHeaders)
    {
        activity ??= Activity.Current;
        if (activity is null || activity.IdFormat != ActivityIdFormat.W3C || activity.Id is not { } traceParent)
        {
            return headers;
        }

        if (headers is not null && headers.ContainsKey(SinewDiagnostics.TraceParentHeader))
        {
            return headers;
        }

        var traceState = activity.TraceStateString;
        var added = string.IsNullOrEmpty(traceState) ? 1 : 2;
        if ((headers?.Count ?? 0) + added > maxHeaders)
        {
            return headers;
        }

        var result = headers is null
            ? new Dictionary<string, string>(added, StringComparer.Ordinal)
            : new Dictionary<string, string>(headers, StringComparer.Ordinal);
        result[SinewDiagnostics.TraceParentHeader] = traceParent;
        if (!string.IsNullOrEmpty(traceState))
        {
            result[SinewDiagnostics.TraceStateHeader] = traceState;
        }

        return result;
    }

    /// <summary>The publisher's span context from a delivery's headers; default when absent or malformed.</summary>
    public static ActivityContext Extract(IReadOnlyDictionary<string, string>? headers)
    {
        if (headers is null || !headers.TryGetValue(SinewDiagnostics.TraceParentHeader, out var traceParent))
        {
            return default;
        }

        headers.TryGetValue(SinewDiagnostics.TraceStateHeader, out var traceState);
        return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : default;
    }
}
