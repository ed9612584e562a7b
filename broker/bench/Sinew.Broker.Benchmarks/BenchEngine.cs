// A broker engine for benchmarks: services and a queue registry over a data directory in memory (/dev/shm
// where there is one), so fsyncs cost next to nothing and the numbers are the engine's, not the disk's.
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using Sinew.Broker.Configuration;
using Sinew.Broker.Diagnostics;
using Sinew.Broker.Engine;
using Sinew.Broker.Queues;

namespace Sinew.Broker.Benchmarks;

internal sealed class BenchEngine : IDisposable
{
    private BenchEngine(string dataDir)
    {
        DataDir = dataDir;
        var options = new BrokerOptions();
        options.Storage.DataDir = dataDir;
        options.Storage.MinFreeBytes = 0;
        Services = new BrokerServices(options, TimeProvider.System, new BrokerMetrics(Metrics.NewCustomRegistry()), NullLogger.Instance);
        Registry = new QueueRegistry(dataDir, Services, RuntimeState.Load(dataDir));
    }

    public string DataDir { get; }

    public BrokerServices Services { get; }

    public QueueRegistry Registry { get; }

    public static BenchEngine Open()
    {
        var root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var dataDir = Path.Combine(root, $"sinew-benchmarks-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dataDir);
        return new BenchEngine(dataDir);
    }

    /// <summary>Declares a queue with one partition that discards its dead letters, and loads it.</summary>
    public Queue Declare(string topic) =>
        Registry.Load(Registry.Declare(new QueueName(topic, null), new QueueDeclaration(Partitions: 1, DeadLetter: DeadLetterSettings.Discard)).Slot);

    public void Dispose()
    {
        Services.Dispose();
        Directory.Delete(DataDir, recursive: true);
    }
}
