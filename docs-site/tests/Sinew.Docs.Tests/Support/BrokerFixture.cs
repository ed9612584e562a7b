// A real broker for the code samples to run against: the built sinew-broker on free ports with a
// throwaway data directory, stopped with SIGTERM (as an operator would) when the tests are done.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sinew.Docs.Tests.Support;

[CollectionDefinition(Name)]
public sealed class BrokerTestGroup : ICollectionFixture<BrokerFixture>
{
    public const string Name = "broker";
}

public sealed class BrokerFixture : IAsyncLifetime
{
    private readonly StringBuilder _log = new();
    private Process? _process;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), $"sinew-docs-tests-{Guid.NewGuid():N}");

    /// <summary>host:port of the protocol listener, as SINEW_BROKER expects it.</summary>
    public string Endpoint { get; private set; } = "";

    public Uri Http { get; private set; } = null!;

    /// <summary>What the broker wrote to standard error so far, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { Repository.BrokerDll, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data-dir", DataDirectory })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("the broker did not start");
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_log)
                {
                    _log.AppendLine(e.Data);
                }
            }
        };
        _process.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var line = await _process.StandardOutput.ReadLineAsync(timeout.Token)
            ?? throw new InvalidOperationException($"the broker exited before it was ready:\n{Log}");
        using var ready = JsonDocument.Parse(line);
        Endpoint = ready.RootElement.GetProperty("protocol").GetString()!;
        Http = new Uri($"http://{ready.RootElement.GetProperty("http").GetString()}/");
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }

            try
            {
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }

        _process?.Dispose();
        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}
