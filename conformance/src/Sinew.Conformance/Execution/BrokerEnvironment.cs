// The brokers and endpoints scenarios run against: the broker under test (external, or started here),
// and, when the runner controls brokers, an authentication-enabled broker, a server that does not speak
// the protocol, and a closed port.
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Sinew.Broker.Configuration;
using Sinew.Broker.Hosting;

namespace Sinew.Conformance.Execution;

internal sealed class BrokerEnvironment : IAsyncDisposable
{
    private readonly string? _dataDir;
    private readonly string? _authDataDir;
    private BrokerHost? _local;
    private BrokerHost? _auth;
    private TcpListener? _foreign;
    private CancellationTokenSource? _foreignStop;
    private Observation.FrameObserver? _observer;

    private BrokerEnvironment(string endpoint, string? dataDir, string? authDataDir)
    {
        BrokerEndpoint = endpoint;
        Endpoint = endpoint;
        _dataDir = dataDir;
        _authDataDir = authDataDir;
    }

    /// <summary>host:port of the broker under test.</summary>
    public string BrokerEndpoint { get; }

    /// <summary>host:port clients and raw cases connect to: the broker itself, or the observer's relay in front of it.</summary>
    public string Endpoint { get; private set; }

    /// <summary>What scenarios may require: broker_control, auth_broker, foreign_server.</summary>
    public HashSet<string> Capabilities { get; } = new(StringComparer.Ordinal);

    /// <summary>Credentials for the broker under test, when it requires them.</summary>
    public Sinew.Protocol.Messages.Auth? Credentials { get; set; }

    /// <summary>Values scenarios refer to as ${name}.</summary>
    public Dictionary<string, string> Builtins { get; } = new(StringComparer.Ordinal);

    public string Description => _local is null ? $"external broker at {BrokerEndpoint}" : $"local broker at {BrokerEndpoint} (started by the runner)";

    /// <summary>Sends every client and raw case to the brokers through <paramref name="observer"/>'s relays, so the
    /// frames of each scenario are seen.</summary>
    public void ObserveThrough(Observation.FrameObserver observer)
    {
        _observer = observer;
        Endpoint = observer.Front(BrokerEndpoint);
        if (Builtins.TryGetValue("auth_endpoint", out var auth))
        {
            Builtins["auth_endpoint"] = observer.Front(auth);
        }
    }

    /// <summary>Uses a broker that is already running, after checking that it answers the protocol.</summary>
    public static async Task<BrokerEnvironment> ExternalAsync(string endpoint, CancellationToken cancellationToken)
    {
        await Preflight.CheckAsync(endpoint, cancellationToken).ConfigureAwait(false);
        var environment = new BrokerEnvironment(endpoint, null, null);
        await environment.StartHelpersAsync().ConfigureAwait(false);
        return environment;
    }

    /// <summary>Starts a fresh broker (and an authentication-enabled one) in this process.</summary>
    public static async Task<BrokerEnvironment> LocalAsync(CancellationToken cancellationToken)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), $"sinew-conformance-{Guid.NewGuid():N}");
        var authDataDir = dataDir + "-auth";
        var local = await BrokerHost.StartAsync(Options(dataDir, "127.0.0.1:0"), Quiet, cancellationToken).ConfigureAwait(false);
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var authOptions = Options(authDataDir, "127.0.0.1:0");
        authOptions.Auth.Enabled = true;
        authOptions.Auth.Users.Add($"conformance:{password}");
        var auth = await BrokerHost.StartAsync(authOptions, Quiet, cancellationToken).ConfigureAwait(false);

        var environment = new BrokerEnvironment(local.ProtocolEndPoint.ToString(), dataDir, authDataDir) { _local = local, _auth = auth };
        environment.Capabilities.Add("broker_control");
        environment.Capabilities.Add("auth_broker");
        environment.Builtins["auth_endpoint"] = auth.ProtocolEndPoint.ToString();
        environment.Builtins["auth_user"] = "conformance";
        environment.Builtins["auth_password"] = password;
        await environment.StartHelpersAsync().ConfigureAwait(false);
        return environment;
    }

    /// <summary>Cuts the connections of the client that connected with <paramref name="clientName"/> (both sides
    /// see a reset, as when a consumer crashes); the client may reconnect at once.</summary>
    /// <returns>How many connections were cut.</returns>
    public int CutConnections(string clientName) =>
        _observer?.Cut(clientName) ?? throw new InvalidOperationException("connections can only be cut through the observing relay");

    /// <summary>Stops the local broker gracefully and starts it again on the same port and data.</summary>
    public async Task RestartAsync()
    {
        if (_local is null)
        {
            throw new InvalidOperationException("only a broker started by the runner can be restarted");
        }

        await _local.DisposeAsync().ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                _local = await BrokerHost.StartAsync(Options(_dataDir!, BrokerEndpoint), Quiet).ConfigureAwait(false);
                return;
            }
            catch (IOException) when (attempt < 20)
            {
                // The port can stay busy for a moment after the old listener closed.
                await Task.Delay(100).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sets the local broker's global dead-letter target through its admin HTTP endpoint, as an operator
    /// does, or clears it when <paramref name="topic"/> is null.</summary>
    public async Task SetGlobalDeadLetterTargetAsync(string? topic, string? group)
    {
        if (_local is null)
        {
            throw new InvalidOperationException("only the global dead-letter target of a broker started by the runner can be set");
        }

        using var http = new HttpClient { BaseAddress = new Uri($"http://{_local.HttpEndPoint}"), Timeout = TimeSpan.FromSeconds(10) };
        using var response = topic is null
            ? await http.DeleteAsync(new Uri("/admin/dead-letter-target", UriKind.Relative)).ConfigureAwait(false)
            : await http.PutAsJsonAsync(new Uri("/admin/dead-letter-target", UriKind.Relative), new { topic, group }).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"setting the global dead-letter target answered {(int)response.StatusCode}: {body}");
        }
    }

    private static BrokerOptions Options(string dataDir, string listen)
    {
        var options = new BrokerOptions();
        options.Listener.Protocol = listen;
        options.Listener.Http = "127.0.0.1:0";
        options.Storage.DataDir = dataDir;
        options.Shutdown.TimeoutMs = 3000;
        return options;
    }

    private static void Quiet(ILoggingBuilder logging) => logging.SetMinimumLevel(LogLevel.Error);

    // A server that speaks something else (answers like an HTTP server) and a port where nothing listens.
    private async Task StartHelpersAsync()
    {
        _foreign = new TcpListener(IPAddress.Loopback, 0);
        _foreign.Start();
        _foreignStop = new CancellationTokenSource();
        _ = ServeForeignAsync(_foreign, _foreignStop.Token);
        Builtins["foreign_endpoint"] = _foreign.LocalEndpoint.ToString()!;
        Capabilities.Add("foreign_server");

        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Builtins["closed_endpoint"] = probe.LocalEndpoint.ToString()!;
        probe.Stop();
        await Task.CompletedTask.ConfigureAwait(false);
    }

    private static async Task ServeForeignAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        var stream = client.GetStream();
                        var buffer = new byte[1024];
                        try
                        {
                            _ = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                            await stream.WriteAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
                        }
                        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
                        {
                        }
                    }
                }, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_foreignStop is not null)
        {
            await _foreignStop.CancelAsync().ConfigureAwait(false);
            _foreign?.Stop();
            _foreignStop.Dispose();
        }

        if (_local is not null)
        {
            await _local.DisposeAsync().ConfigureAwait(false);
        }

        if (_auth is not null)
        {
            await _auth.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var directory in new[] { _dataDir, _authDataDir })
        {
            if (directory is not null && Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
