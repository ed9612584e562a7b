// Starts the real Sinew broker for integration tests: a fresh data directory, ports chosen by the broker
// (reported on its ready line), a clean stop with SIGTERM, and restarts on the same port and data.
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace Sinew.Client.Tests.Fixtures;

/// <summary>Runs <c>sinew-broker</c> on loopback as a child process. Used as an xunit fixture (shared by a test
/// collection) or started directly with <see cref="StartAsync"/> by tests that need a broker of their own: with
/// other settings, or one they stop and restart.</summary>
/// <remarks>The broker is the build of <c>broker/src/Sinew.Broker.Host</c> in the test assembly's configuration
/// (the test project references it, so it is built first), else the build in the other configuration, or the
/// file named by <c>SINEW_BROKER_DLL</c>.</remarks>
public sealed class SinewBrokerFixture : IAsyncLifetime, IAsyncDisposable, IDisposable
{
    /// <summary>The environment variable that overrides where the broker's entry assembly is.</summary>
    public const string BrokerDllVariable = "SINEW_BROKER_DLL";

    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    // A graceful stop waits for clients to leave for half of this; tests keep that short.
    private static readonly string[] TestSettings = ["--set", "shutdown.timeout_ms=2000"];

    private readonly string[] _arguments;
    private readonly StringBuilder _output = new();
    private Process? _process;
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

    /// <summary>The broker's process id, as it reported it.</summary>
    public int ProcessId { get; private set; }

    /// <summary>The broker's data directory, created empty for this fixture and deleted afterwards.</summary>
    public string DataDirectory { get; private set; } = string.Empty;

    /// <summary>Whether the broker process is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>What the broker wrote so far, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

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
    public static string LocateBroker()
    {
        var overridden = Environment.GetEnvironmentVariable(BrokerDllVariable);
        if (!string.IsNullOrEmpty(overridden))
        {
            return File.Exists(overridden)
                ? overridden
                : throw new FileNotFoundException($"{BrokerDllVariable} names {overridden}, which does not exist.", overridden);
        }

        var configuration = typeof(SinewBrokerFixture).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration;
        var preferred = string.Equals(configuration, "Debug", StringComparison.OrdinalIgnoreCase) ? "Debug" : "Release";
        var other = preferred == "Debug" ? "Release" : "Debug";
        var candidates = new[] { preferred, other }
            .Select(c => Path.Combine(RepositoryFiles.Root, "broker", "src", "Sinew.Broker.Host", "bin", c, "net10.0", "sinew-broker.dll"))
            .ToList();
        return candidates.FirstOrDefault(File.Exists) ?? throw new FileNotFoundException(
            $"The broker is not built at {string.Join(" or ", candidates)}. Build it with `dotnet build broker/src/Sinew.Broker.Host -c {preferred}`, " +
            $"or set {BrokerDllVariable}.", candidates[0]);
    }

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
            if (!process.HasExited)
            {
                await TerminateAsync(process);
            }

            process.Dispose();
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
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
        }

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
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] arguments = [LocateBroker(), "--listen", listen, "--http", "127.0.0.1:0", "--data-dir", DataDirectory, .. TestSettings, .. _arguments];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var ready = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnLine(e.Data, ready);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, null);
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"The broker exited before it was ready:\n{Output}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        JsonElement line;
        try
        {
            line = await ready.Task.WaitAsync(StartupTimeout);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            await StopAsync();
            throw e is TimeoutException
                ? new TimeoutException($"The broker did not print its ready line within {StartupTimeout.TotalSeconds} s:\n{Output}")
                : e;
        }

        ProtocolEndpoint = line.GetProperty("protocol").GetString()!;
        HttpEndpoint = line.GetProperty("http").GetString()!;
        ProcessId = line.GetProperty("pid").GetInt32();
        _port = int.Parse(ProtocolEndpoint[(ProtocolEndpoint.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>Asks the broker to stop as an operator would (SIGTERM), and kills it only if it does not exit in time.</summary>
    private static async Task TerminateAsync(Process process)
    {
        if (OperatingSystem.IsWindows())
        {
            process.Kill(entireProcessTree: true);
        }
        else
        {
            using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", process.Id.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false });
            if (kill is not null)
            {
                await kill.WaitForExitAsync();
            }
        }

        using var timeout = new CancellationTokenSource(StopTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private void OnLine(string? line, TaskCompletionSource<JsonElement>? ready)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (ready is null || !line.StartsWith('{'))
        {
            return;
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.TryGetProperty("event", out var name) && name.GetString() == "ready")
            {
                ready.TrySetResult(document.RootElement.Clone());
            }
        }
        catch (JsonException)
        {
            // Not the ready line; the broker may log JSON of other shapes.
        }
    }
}
