// The broker the benchmark measures: a separate sinew-broker process on a fresh data directory, so its
// resident memory can be read from /proc and the bench's own work does not share its heap. It is started by the
// launcher the C# tests use (tools/testing/Sinew.Testing).
using System.Globalization;
using System.Net;
using Sinew.Testing;

namespace Sinew.Bench;

internal sealed class BrokerUnderTest : IAsyncDisposable
{
    private readonly BrokerProcess? _process;

    private BrokerUnderTest(IPEndPoint endpoint, BrokerProcess? process)
    {
        Endpoint = endpoint;
        _process = process;
    }

    public IPEndPoint Endpoint { get; }

    public static BrokerUnderTest Existing(IPEndPoint endpoint) => new(endpoint, null);

    public static async Task<BrokerUnderTest> StartAsync()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), $"sinew-bench-{Guid.NewGuid():N}");
        var process = await BrokerProcess.StartAsync(dataDir);
        return new BrokerUnderTest(process.Endpoint, process);
    }

    /// <summary>Peak resident set size of the broker process so far (VmHWM), or null for an external broker.</summary>
    public long? PeakRssBytes() => Status("VmHWM:");

    /// <summary>Resident set size of the broker process now (VmRSS), or null for an external broker.</summary>
    public long? CurrentRssBytes() => Status("VmRSS:");

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
            await _process.TerminateAsync(TimeSpan.FromSeconds(30));
            await _process.DisposeAsync();
            if (Directory.Exists(_process.DataDirectory))
            {
                Directory.Delete(_process.DataDirectory, recursive: true);
            }
        }
    }
}
