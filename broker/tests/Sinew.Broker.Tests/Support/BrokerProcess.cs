// Runs the real sinew-broker executable as a child process, for tests that kill or signal it.
using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Sinew.Broker.Tests.Support;

internal sealed class BrokerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _stderr = [];

    private BrokerProcess(Process process, string dataDir, IPEndPoint protocol, Uri http)
    {
        _process = process;
        DataDir = dataDir;
        Endpoint = protocol;
        HttpBase = http;
    }

    public string DataDir { get; }

    public IPEndPoint Endpoint { get; }

    public Uri HttpBase { get; }

    public int Pid => _process.Id;

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return string.Join('\n', _stderr);
            }
        }
    }

    public static async Task<BrokerProcess> StartAsync(string dataDir, params string[] extraArguments)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "sinew-broker.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { dll, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data-dir", dataDir }.Concat(extraArguments))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        var stderr = new List<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.Add(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null)
        {
            await process.WaitForExitAsync(timeout.Token);
            lock (stderr)
            {
                throw new InvalidOperationException($"the broker exited with code {process.ExitCode} before it was ready: {string.Join('\n', stderr)}");
            }
        }

        using var ready = JsonDocument.Parse(line);
        var broker = new BrokerProcess(process, dataDir,
            IPEndPoint.Parse(ready.RootElement.GetProperty("protocol").GetString()!),
            new Uri($"http://{ready.RootElement.GetProperty("http").GetString()}"));
        lock (stderr)
        {
            broker._stderr.AddRange(stderr);
        }

        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (broker._stderr)
                {
                    broker._stderr.Add(e.Data);
                }
            }
        };
        return broker;
    }

    /// <summary>SIGKILL: no chance to flush anything.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>SIGTERM, then the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
    }
}
