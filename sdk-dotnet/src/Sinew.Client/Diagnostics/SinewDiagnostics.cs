// The names under which the client publishes traces and logs.
namespace Sinew.Client;

/// <summary>Names to register with tracing and logging. With OpenTelemetry:
/// <c>builder.AddSource(SinewDiagnostics.ActivitySourceName)</c>.</summary>
public static class SinewDiagnostics
{
    /// <summary>The <see cref="System.Diagnostics.ActivitySource"/> name: <c>Sinew.Client</c>. Publishes create
    /// <c>Producer</c> spans named "publish {topic}"; deliveries create <c>Consumer</c> spans named "process {topic}",
    /// children of the publisher's span when the message carried a <c>traceparent</c> header.</summary>
    public const string ActivitySourceName = "Sinew.Client";

    /// <summary>The logger category: <c>Sinew.Client</c>.</summary>
    public const string LoggerCategory = "Sinew.Client";

    /// <summary>The W3C trace-context header carrying the trace and parent span ids.</summary>
    public const string TraceParentHeader = "traceparent";

    /// <summary>The W3C trace-context header carrying vendor trace state.</summary>
    public const string TraceStateHeader = "tracestate";
}
