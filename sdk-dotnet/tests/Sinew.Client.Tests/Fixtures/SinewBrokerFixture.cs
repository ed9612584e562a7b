// Starts the real Sinew broker for integration tests: a fresh data directory, ports chosen by the broker
// (reported on its ready line), and a clean stop with SIGTERM. Ready for the broker's integration tests.
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Sinew.Client.Tests.Fixtures;

/// <summary>An xunit fixture running <c>sinew-broker</c> on loopback. The broker is the Release build under
/// <c>broker/src/Sinew.Broker.Host</c>, or the file named by <c>SINEW_BROKER_DLL</c>.</summary>
public sealed class SinewBrokerFixture : IAsyncLifetime, IDisposable
{
    /// <summary>The environment variable that overrides where the broker's entry assembly is.</summary>
    public const string BrokerDllVariable = "SINEW_BROKER_DLL";

    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly StringBuilder _output = new();
    private Process? _process;

    /// <summary>The protocol endpoint, <c>127.0.0.1:PORT</c>.</summary>
    public string ProtocolEndpoint { get; private set; } = string.Empty;

    /// <summary>The HTTP endpoint, <c>127.0.0.1:PORT</c>.</summary>
    public string HttpEndpoint { get; private set; } = string.Empty;

    /// <summary>The broker's process id, as it reported it.</summary>
    public int ProcessId { get; private set; }

    /// <summary>The broker's data directory, created empty for this fixture and deleted afterwards.</summary>
    public string DataDirectory { get; private set; } = string.Empty;

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

    /// <summary>Client options pointing at this broker.</summary>
    public SinewClientOptions ClientOptions(Action<SinewClientOptions>? configure = null) => TestClients.Options(ProtocolEndpoint, configure);

    public async Task InitializeAsync()
    {
        var dll = Environment.GetEnvironmentVariable(BrokerDllVariable);
        if (string.IsNullOrEmpty(dll))
        {
            dll = Path.Combine(RepositoryFiles.Root, "broker", "src", "Sinew.Broker.Host", "bin", "Release", "net10.0", "sinew-broker.dll");
        }

        if (!File.Exists(dll))
        {
            throw new FileNotFoundException(
                $"The broker is not built at {dll}. Build it with `dotnet build broker -c Release`, or set {BrokerDllVariable}.", dll);
        }

        DataDirectory = Directory.CreateTempSubdirectory("sinew-client-tests-").FullName;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { dll, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data-dir", DataDirectory })
        {
            start.ArgumentList.Add(argument);
        }

        var ready = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data, ready);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data, null);
        _process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"The broker exited before it was ready:\n{Output}"));
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        JsonElement line;
        try
        {
            line = await ready.Task.WaitAsync(StartupTimeout);
        }
        catch (TimeoutException)
        {
            await DisposeAsync();
            throw new TimeoutException($"The broker did not print its ready line within {StartupTimeout.TotalSeconds} s:\n{Output}");
        }

        ProtocolEndpoint = line.GetProperty("protocol").GetString()!;
        HttpEndpoint = line.GetProperty("http").GetString()!;
        ProcessId = line.GetProperty("pid").GetInt32();
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
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                await TerminateAsync(process);
            }

            process.Dispose();
            _process = null;
        }

        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
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
            using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false });
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
