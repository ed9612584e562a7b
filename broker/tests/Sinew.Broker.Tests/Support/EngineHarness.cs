// The broker engine without sockets: services, the queue registry and dead-letter routing over a data
// directory, with a clock the test sets and a log that keeps what was written at warning level and above.
using Microsoft.Extensions.Logging;
using Prometheus;
using Sinew.Broker.Configuration;
using Sinew.Broker.Diagnostics;
using Sinew.Broker.Engine;
using Sinew.Broker.Queues;

namespace Sinew.Broker.Tests.Support;

internal sealed class EngineHarness : IDisposable
{
    private EngineHarness(string dataDir, ManualClock clock, BrokerOptions options)
    {
        DataDir = dataDir;
        Clock = clock;
        Log = new RecordingLogger();
        Services = new BrokerServices(options, clock, new BrokerMetrics(Metrics.NewCustomRegistry()), Log);
        Registry = new QueueRegistry(dataDir, Services, RuntimeState.Load(dataDir));
        Registry.Index();
    }

    public string DataDir { get; }

    public ManualClock Clock { get; }

    public RecordingLogger Log { get; }

    public BrokerServices Services { get; }

    public QueueRegistry Registry { get; }

    /// <summary>Opens the engine on <paramref name="dataDir"/> with the clock at <paramref name="nowMs"/>.</summary>
    public static EngineHarness Open(string dataDir, long nowMs, Action<BrokerOptions>? configure = null)
    {
        var options = new BrokerOptions();
        options.Storage.DataDir = dataDir;
        options.Storage.MinFreeBytes = 0;
        configure?.Invoke(options);
        return new EngineHarness(dataDir, new ManualClock(nowMs), options);
    }

    /// <summary>Copies a data directory (as a crash would leave it, or a pristine fixture) to a new one.</summary>
    public static string CopyDataDir(string from)
    {
        var to = TempDirectory.Create("engine-copy");
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            // The lock of a broker still running on the original is not part of its data.
            if (Path.GetFileName(file) == "sinew.lock")
            {
                continue;
            }

            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return to;
    }

    /// <summary>Waits, a bounded time, until <paramref name="condition"/> holds.</summary>
    public static Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan? within = null) =>
        EventuallyAsync(() => Task.FromResult(condition()), within);

    /// <summary>Waits, a bounded time, until <paramref name="condition"/> holds.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(5);
        }

        return true;
    }

    public void Dispose() => Services.Dispose();
}

/// <summary>A clock that only moves when the test moves it.</summary>
internal sealed class ManualClock(long nowMs) : TimeProvider
{
    private long _nowMs = nowMs;

    public long NowMs
    {
        get => Interlocked.Read(ref _nowMs);
        set => Interlocked.Exchange(ref _nowMs, value);
    }

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(NowMs);
}

/// <summary>Keeps every entry at warning level or above.</summary>
internal sealed class RecordingLogger : ILogger
{
    private readonly List<string> _entries = [];

    public IReadOnlyList<string> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        lock (_entries)
        {
            _entries.Add($"{logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
        }
    }
}
