// The broker the benchmark measures: a separate sinew-broker process on a fresh data directory, so its
// resident memory can be read from /proc and the bench's own work does not share its heap. It is started by the
// launcher the C# tests use (tools/testing/Sinew.Testing), and can be restarted on the same data.
using System.Globalization;
using System.Net;
using System.Text.Json;
using Sinew.Testing;

namespace Sinew.Bench;

internal sealed class BrokerUnderTest : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private readonly IReadOnlyList<string> _arguments;
    private BrokerProcess? _process;
    private readonly IPEndPoint? _existing;

    private BrokerUnderTest(IPEndPoint? existing, BrokerProcess? process, IReadOnlyList<string> arguments)
    {
        _existing = existing;
        _process = process;
        _arguments = arguments;
    }

    public IPEndPoint Endpoint => _existing ?? _process!.Endpoint;

    /// <summary>Whether the bench started this broker (and so can read its memory and restart it).</summary>
    public bool IsOwned => _process is not null;

    public static BrokerUnderTest Existing(IPEndPoint endpoint) => new(endpoint, null, []);

    /// <summary>Starts a broker on a fresh data directory, with <paramref name="arguments"/> added to its command line.</summary>
    public static async Task<BrokerUnderTest> StartAsync(IReadOnlyList<string>? arguments = null)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), $"sinew-bench-{Guid.NewGuid():N}");
        var process = await BrokerProcess.StartAsync(dataDir, arguments);
        return new BrokerUnderTest(null, process, arguments ?? []);
    }

    /// <summary>Stops the broker gracefully (SIGTERM) and starts a new one on the same data directory.</summary>
    public async Task RestartAsync()
    {
        var process = _process ?? throw new InvalidOperationException("only a broker the bench started can be restarted");
        var exit = await process.TerminateAsync(TimeSpan.FromMinutes(2));
        await process.DisposeAsync();
        _process = null;
        if (exit != 0)
        {
            throw new InvalidOperationException($"the broker exited with code {exit} on SIGTERM");
        }

        _process = await BrokerProcess.StartAsync(process.DataDirectory, _arguments);
    }

    /// <summary>Waits until /readyz says the broker has verified every partition.</summary>
    public async Task WaitReadyAsync(TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            using var response = await Http.GetAsync(new Uri(_process!.HttpBase, "/readyz"));
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the broker was not ready within {within.TotalSeconds} s: {await response.Content.ReadAsStringAsync()}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Unsettled messages of <paramref name="topic"/>, summed over its partitions, from /admin/queues.</summary>
    public async Task<long> UnsettledAsync(string topic)
    {
        using var document = JsonDocument.Parse(await Http.GetStringAsync(new Uri(_process!.HttpBase, "/admin/queues")));
        foreach (var queue in document.RootElement.EnumerateArray())
        {
            if (queue.GetProperty("topic").GetString() == topic && queue.GetProperty("partition_stats") is { ValueKind: JsonValueKind.Array } stats)
            {
                return stats.EnumerateArray().Sum(p => p.GetProperty("unsettled").GetInt64());
            }
        }

        throw new InvalidOperationException($"the broker does not list queue {topic} as loaded");
    }

    /// <summary>Peak resident set size of the broker process so far (VmHWM), or null for an external broker.</summary>
    public long? PeakRssBytes() => Status("VmHWM:");

    /// <summary>Resident set size of the broker process now (VmRSS), or null for an external broker.</summary>
    public long? RssBytes() => Status("VmRSS:");

    private long? Status(string field)
    {
        if (_process is null)
        {
            return null;
        }

        foreach (var line in File.ReadLines($"/proc/{_process.Pid}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
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
            await _process.TerminateAsync(TimeSpan.FromMinutes(2));
            await _process.DisposeAsync();
            if (Directory.Exists(_process.DataDirectory))
            {
                Directory.Delete(_process.DataDirectory, recursive: true);
            }
        }
    }
}
