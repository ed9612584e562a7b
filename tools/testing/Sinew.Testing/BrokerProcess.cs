// The one way the C# tests (and the benchmark) start the real broker: `dotnet sinew-broker.dll` on loopback with
// a data directory, ready once it prints its JSON ready line, which names the ports it bound.
using System.Net;
using System.Text.Json;

namespace Sinew.Testing;

/// <summary>A <c>sinew-broker</c> child process. It does not own its data directory: the caller creates and
/// deletes it, so a test can start another broker on the same data.</summary>
public sealed class BrokerProcess : IAsyncDisposable, IDisposable
{
    /// <summary>The environment variable that names the broker's entry assembly instead of the build.</summary>
    public const string BrokerDllVariable = "SINEW_BROKER_DLL";

    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(30);

    private readonly ChildProcess _process;

    private BrokerProcess(ChildProcess process, JsonElement ready, string dataDirectory)
    {
        _process = process;
        DataDirectory = dataDirectory;
        ProtocolEndpoint = ready.GetProperty("protocol").GetString()!;
        HttpEndpoint = ready.GetProperty("http").GetString()!;
    }

    /// <summary>The protocol endpoint, <c>127.0.0.1:PORT</c>.</summary>
    public string ProtocolEndpoint { get; }

    public IPEndPoint Endpoint => IPEndPoint.Parse(ProtocolEndpoint);

    /// <summary>The HTTP endpoint, <c>127.0.0.1:PORT</c>.</summary>
    public string HttpEndpoint { get; }

    public Uri HttpBase => new($"http://{HttpEndpoint}");

    public string DataDirectory { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the broker wrote, both streams, for failure messages.</summary>
    public string Output => _process.Output;

    /// <summary>The broker's log (it writes only the ready line to stdout).</summary>
    public string StandardError => _process.StandardError;

    /// <summary>Where the broker is built (see <see cref="BuiltTool.Locate"/>).</summary>
    public static string Locate() => BuiltTool.Locate(Path.Combine("broker", "src", "Sinew.Broker.Host"), "sinew-broker.dll", BrokerDllVariable);

    /// <summary>Starts a broker on <paramref name="dataDirectory"/>, its protocol on <paramref name="listen"/> and
    /// HTTP on a free port, with <paramref name="arguments"/> added (e.g. <c>"--set", "queues.default_lease_ms=500"</c>).</summary>
    /// <exception cref="InvalidOperationException">It exited before it was ready; the message holds its log.</exception>
    /// <exception cref="TimeoutException">It printed no ready line within <paramref name="startupTimeout"/> (default 30 s).</exception>
    public static async Task<BrokerProcess> StartAsync(string dataDirectory, IEnumerable<string>? arguments = null, string listen = "127.0.0.1:0",
        TimeSpan? startupTimeout = null)
    {
        string[] all = ["--listen", listen, "--http", "127.0.0.1:0", "--data-dir", dataDirectory, .. arguments ?? []];
        var (process, ready) = await ChildProcess.StartAsync("the broker", Locate(), all, startupTimeout ?? StartupTimeout).ConfigureAwait(false);
        return new BrokerProcess(process, ready, dataDirectory);
    }

    /// <summary>Stops as an operator would (SIGTERM) and returns the exit code.</summary>
    /// <exception cref="TimeoutException">It did not exit within <paramref name="timeout"/> (it is killed then).</exception>
    public async Task<int> TerminateAsync(TimeSpan timeout) =>
        await _process.StopAsync(timeout).ConfigureAwait(false)
        ?? throw new TimeoutException($"the broker did not exit within {timeout.TotalSeconds} s of SIGTERM:\n{Output}");

    /// <summary>SIGTERM, and SIGKILL when it has not exited after <paramref name="grace"/>. Returns the exit
    /// code, or null when it had to be killed.</summary>
    public Task<int?> StopAsync(TimeSpan grace) => _process.StopAsync(grace);

    /// <summary>SIGKILL: no chance to flush anything.</summary>
    public Task KillAsync() => _process.KillAsync();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await _process.KillAsync().ConfigureAwait(false);
        }

        _process.Dispose();
    }

    /// <summary>A safety net for when DisposeAsync did not run: never leave a broker behind.</summary>
    public void Dispose() => _process.Dispose();
}
