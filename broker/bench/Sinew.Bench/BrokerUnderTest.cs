// The broker the benchmark measures: a separate sinew-broker process on a fresh data directory, so its
// resident memory can be read from /proc and the bench's own work does not share its heap.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Sinew.Bench;

internal sealed class BrokerUnderTest : IAsyncDisposable
{
    private readonly Process? _process;
    private readonly string? _dataDir;

    private BrokerUnderTest(IPEndPoint endpoint, Process? process, string? dataDir)
    {
        Endpoint = endpoint;
        _process = process;
        _dataDir = dataDir;
    }

    public IPEndPoint Endpoint { get; }

    public static BrokerUnderTest Existing(IPEndPoint endpoint) => new(endpoint, null, null);

    public static async Task<BrokerUnderTest> StartAsync()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "sinew-broker.dll");
        if (!File.Exists(dll))
        {
            dll = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../src/Sinew.Broker.Host/bin/Release/net10.0/sinew-broker.dll"));
        }

        var dataDir = Path.Combine(Path.GetTempPath(), $"sinew-bench-{Guid.NewGuid():N}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { dll, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data-dir", dataDir })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))
                   ?? throw new InvalidOperationException("the broker exited before it was ready");
        using var ready = JsonDocument.Parse(line);
        return new BrokerUnderTest(IPEndPoint.Parse(ready.RootElement.GetProperty("protocol").GetString()!), process, dataDir);
    }

    /// <summary>Peak resident set size of the broker process so far (VmHWM), or null for an external broker.</summary>
    public long? PeakRssBytes()
    {
        if (_process is null)
        {
            return null;
        }

        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                return kb * 1024;
            }
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
                {
                    await kill.WaitForExitAsync();
                }

                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }

            _process.Dispose();
        }

        if (_dataDir is not null && Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }
}
