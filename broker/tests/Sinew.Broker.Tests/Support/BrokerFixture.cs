// Runs a broker in the test process on free loopback ports with its own data directory, keeping its
// warnings and errors (or, when a test asks, everything from information up) for tests that check what it logs.
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Sinew.Broker.Configuration;
using Sinew.Broker.Hosting;

namespace Sinew.Broker.Tests.Support;

internal sealed class TestBroker : IAsyncDisposable
{
    private TestBroker(BrokerHost host, string dataDir, CapturedLog log)
    {
        Host = host;
        DataDir = dataDir;
        Log = log;
    }

    public BrokerHost Host { get; private set; }

    public string DataDir { get; }

    public System.Net.IPEndPoint Endpoint => Host.ProtocolEndPoint;

    public Uri HttpBase => new($"http://{Host.HttpEndPoint}");

    /// <summary>What the broker logged at warning level and above (or the level asked for at start), across restarts.</summary>
    public CapturedLog Log { get; }

    /// <summary>Starts a broker; <paramref name="configure"/> may adjust options (applied after the test defaults).
    /// The verification at start waits for <paramref name="verificationGate"/> when one is given. The log keeps what
    /// is written at <paramref name="logFrom"/> and above.</summary>
    public static async Task<TestBroker> StartAsync(Action<BrokerOptions>? configure = null, string? dataDir = null, Task? verificationGate = null,
        LogLevel logFrom = LogLevel.Warning)
    {
        dataDir ??= TempDirectory.Create("broker");
        var log = new CapturedLog(logFrom);
        var host = await StartHostAsync(Options(dataDir, configure), log, verificationGate);
        return new TestBroker(host, dataDir, log);
    }

    private static Task<BrokerHost> StartHostAsync(BrokerOptions options, CapturedLog log, Task? verificationGate) =>
        BrokerHost.StartAsync(options, logging =>
        {
            logging.SetMinimumLevel(log.Minimum);
            logging.AddProvider(log);
        }, verificationGate);

    public static BrokerOptions Options(string dataDir, Action<BrokerOptions>? configure = null)
    {
        var options = new BrokerOptions();
        options.Listener.Protocol = "127.0.0.1:0";
        options.Listener.Http = "127.0.0.1:0";
        options.Storage.DataDir = dataDir;
        options.Shutdown.TimeoutMs = 2000;
        configure?.Invoke(options);
        return options;
    }

    /// <summary>Stops gracefully and starts again on the same data directory (new ports).</summary>
    public async Task RestartAsync(Action<BrokerOptions>? configure = null, Task? verificationGate = null)
    {
        await Host.DisposeAsync();
        Host = await StartHostAsync(Options(DataDir, configure), Log, verificationGate);
    }

    public Task<RawClient> ConnectAsync() => RawClient.ConnectAsync(Endpoint);

    /// <summary>Asserts that /readyz answers 200 within a bounded time: after a start the broker verifies its
    /// partitions in the background and is ready once that is done.</summary>
    public async Task AssertBecomesReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = HttpBase };
        var body = "";
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var ready = await http.GetAsync("/readyz");
            body = await ready.Content.ReadAsStringAsync();
            if (ready.IsSuccessStatusCode)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"/readyz stayed unready: {body}");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        TempDirectory.Delete(DataDir);
    }
}

/// <summary>Log lines kept in memory: "Level: message".</summary>
internal sealed class CapturedLog(LogLevel minimum = LogLevel.Warning) : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public LogLevel Minimum { get; } = minimum;

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(_lines, Minimum);

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<string> lines, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
            }
        }
    }
}

internal static class TempDirectory
{
    public static string Create(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), $"sinew-{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    public static void Delete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
