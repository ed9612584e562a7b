// How a SinewClient connects: endpoints, identity, credentials, timeouts, heartbeats and reconnection.
using Microsoft.Extensions.Logging;

namespace Sinew.Client;

/// <summary>Settings of a <see cref="SinewClient"/>. The client copies them when it is created, so changing an
/// instance afterwards has no effect on it.</summary>
/// <remarks>Unlike the other option types, whose properties are <c>init</c>-only, these properties are
/// settable: the options pattern of <c>Microsoft.Extensions.Options</c> configures an instance in place
/// (<c>services.AddSinewClient(o =&gt; o.Endpoints = ["broker:7420"])</c>). Checked by
/// <see cref="SinewClientOptionsValidator"/> when the client is created.</remarks>
public sealed class SinewClientOptions
{
    /// <summary>The broker address used when none is configured: <c>127.0.0.1:7420</c>.</summary>
    public const string DefaultEndpoint = "127.0.0.1:7420";

    /// <summary>The client name sent when none is configured: <c>sinew-dotnet</c>.</summary>
    public const string DefaultClientName = "sinew-dotnet";

    /// <summary>Broker addresses as <c>host:port</c> (IPv6 as <c>[::1]:7420</c>; the port defaults to 7420),
    /// tried in order on every connection attempt (default: <c>127.0.0.1:7420</c>).</summary>
    public IReadOnlyList<string> Endpoints { get; set; } = [DefaultEndpoint];

    /// <summary>The application's name, shown in the broker's logs and admin view (default: <c>sinew-dotnet</c>).</summary>
    public string ClientName { get; set; } = DefaultClientName;

    /// <summary>Credentials for brokers that require authentication (default: none).</summary>
    public SinewCredentials? Credentials { get; set; }

    /// <summary>The heartbeat interval to propose, at most 5 minutes; the broker decides the interval both sides use,
    /// taking a proposal of 1 s to 5 min and answering any other with its own. When nothing has been sent for an
    /// interval a Ping goes out, and after
    /// three intervals without any frame from the broker the connection is considered dead.
    /// <see cref="TimeSpan.Zero"/> leaves the interval to the broker (default: 10 s).</summary>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one endpoint may take to accept the TCP connection and complete the handshake
    /// (default: 10 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a request waits for the broker's answer before failing with
    /// <see cref="OperationTimeoutException"/> (default: 30 s).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long closing waits for the broker to confirm unsubscribes and the Goodbye before it closes
    /// the socket anyway (default: 2 s).</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How the client reconnects when an operation finds the connection dropped
    /// (default: <see cref="ReconnectPolicy.Default"/>: 5 attempts, backoff from 100 ms doubling to 5 s, with 20 % jitter).</summary>
    public ReconnectPolicy Reconnect { get; set; } = new();

    /// <summary>Called with errors the broker reports that belong to no waiting operation — above all the failure
    /// of an unconfirmed publish, which has nobody to throw to. Runs on the thread pool, never on the connection's
    /// read loop; an exception it throws is logged and otherwise ignored (default: none; such errors are only
    /// logged, event <see cref="SinewLogEvents.UnsolicitedError"/>).</summary>
    public Action<SinewException>? OnError { get; set; }

    /// <summary>Where the client logs (default: nowhere). The dependency-injection registration uses the
    /// container's logger factory when this is not set.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>A copy, so the client is unaffected by later changes to this instance.</summary>
    internal SinewClientOptions Clone() => new()
    {
        Endpoints = Endpoints is null ? null! : [.. Endpoints],
        ClientName = ClientName,
        Credentials = Credentials,
        Heartbeat = Heartbeat,
        ConnectTimeout = ConnectTimeout,
        RequestTimeout = RequestTimeout,
        CloseTimeout = CloseTimeout,
        Reconnect = Reconnect,
        OnError = OnError,
        LoggerFactory = LoggerFactory,
    };
}
