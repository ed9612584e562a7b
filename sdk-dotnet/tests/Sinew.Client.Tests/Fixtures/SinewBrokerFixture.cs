// Starts the real Sinew broker for integration tests: a fresh data directory, ports chosen by the broker
// (reported on its ready line), a clean stop with SIGTERM, and restarts on the same port and data.
using Sinew.Testing;

namespace Sinew.Client.Tests.Fixtures;

/// <summary>Runs <c>sinew-broker</c> on loopback as a child process. Used as an xunit fixture (shared by a test
/// collection) or started directly with <see cref="StartAsync"/> by tests that need a broker of their own: with
/// other settings, or one they stop and restart.</summary>
/// <remarks>The process is started by <see cref="BrokerProcess"/>, the launcher every C# test project shares; it runs
/// the build of <c>broker/src/Sinew.Broker.Host</c> in the tests' configuration (built first through the
/// references), else the other configuration's, or the file named by <c>SINEW_BROKER_DLL</c>.</remarks>
public sealed class SinewBrokerFixture : IAsyncLifetime, IAsyncDisposable, IDisposable
{
    /// <summary>The environment variable that overrides where the broker's entry assembly is.</summary>
    public const string BrokerDllVariable = BrokerProcess.BrokerDllVariable;

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    // A graceful stop waits for clients to leave for half of this; tests keep that short.
    private static readonly string[] TestSettings = ["--set", "shutdown.timeout_ms=2000"];

    private readonly string[] _arguments;
    private BrokerProcess? _process;
    private string _lastOutput = string.Empty;
    private int _port;

    /// <summary>A broker with the default settings, for xunit to create.</summary>
    public SinewBrokerFixture()
        : this([])
    {
    }

    private SinewBrokerFixture(string[] arguments)
    {
        _arguments = arguments;
    }

    /// <summary>The protocol endpoint, <c>127.0.0.1:PORT</c>. The same across restarts.</summary>
    public string ProtocolEndpoint { get; private set; } = string.Empty;

    /// <summary>The HTTP endpoint, <c>127.0.0.1:PORT</c>; a restart picks a new port.</summary>
    public string HttpEndpoint { get; private set; } = string.Empty;

    /// <summary>The broker's process id.</summary>
    public int ProcessId { get; private set; }

    /// <summary>The broker's data directory, created empty for this fixture and deleted afterwards.</summary>
    public string DataDirectory { get; private set; } = string.Empty;

    /// <summary>Whether the broker process is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>What the broker wrote so far, for failure messages.</summary>
    public string Output => _process?.Output ?? _lastOutput;

    /// <summary>Starts a broker of its own with extra command-line arguments, for example
    /// <c>"--user", "alice:s3cret"</c> or <c>"--set", "queues.default_lease_ms=500"</c>.</summary>
    public static async Task<SinewBrokerFixture> StartAsync(params string[] arguments)
    {
        var broker = new SinewBrokerFixture(arguments);
        await broker.InitializeAsync();
        return broker;
    }

    /// <summary>Where the broker's entry assembly is: the override, then this configuration's build, then the
    /// other configuration's.</summary>
    public static string LocateBroker() => BrokerProcess.Locate();

    /// <summary>Client options pointing at this broker (see <see cref="TestClients.Options"/>).</summary>
    public SinewClientOptions ClientOptions(Action<SinewClientOptions>? configure = null) => TestClients.Options(ProtocolEndpoint, configure);

    /// <summary>A client connected to this broker.</summary>
    public Task<SinewClient> ConnectAsync(Action<SinewClientOptions>? configure = null) => SinewClient.ConnectAsync(ClientOptions(configure));

    public async Task InitializeAsync()
    {
        DataDirectory = Directory.CreateTempSubdirectory("sinew-client-tests-").FullName;
        await LaunchAsync("127.0.0.1:0");
    }

    /// <summary>Stops the broker as an operator would (SIGTERM) and waits for it to exit; the data stays.</summary>
    public async Task StopAsync()
    {
        if (_process is { } process)
        {
            await process.StopAsync(StopTimeout);
            _lastOutput = process.Output;
            await process.DisposeAsync();
            _process = null;
        }
    }

    /// <summary>Starts the stopped broker again on the same protocol port and data directory.</summary>
    public async Task StartAgainAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("The broker is still running; stop it first.");
        }

        // The old listener's port can stay busy for a moment after the process exited.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await LaunchAsync($"127.0.0.1:{_port}");
                return;
            }
            catch (InvalidOperationException) when (attempt < 20)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Stops the broker gracefully and starts it again on the same port and data.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAgainAsync();
    }

    /// <summary>A safety net for when DisposeAsync did not run: never leave a broker process behind.</summary>
    public void Dispose()
    {
        _process?.Dispose();
        _process = null;
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    private async Task LaunchAsync(string listen)
    {
        var process = await BrokerProcess.StartAsync(DataDirectory, [.. TestSettings, .. _arguments], listen);
        _process = process;
        ProtocolEndpoint = process.ProtocolEndpoint;
        HttpEndpoint = process.HttpEndpoint;
        ProcessId = process.Pid;
        _port = process.Endpoint.Port;
    }
}
