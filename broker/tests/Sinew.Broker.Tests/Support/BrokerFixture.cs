// Runs a broker in the test process on free loopback ports with its own data directory.
using Microsoft.Extensions.Logging;
using Sinew.Broker.Configuration;
using Sinew.Broker.Hosting;

namespace Sinew.Broker.Tests.Support;

internal sealed class TestBroker : IAsyncDisposable
{
    private TestBroker(BrokerHost host, string dataDir)
    {
        Host = host;
        DataDir = dataDir;
    }

    public BrokerHost Host { get; private set; }

    public string DataDir { get; }

    public System.Net.IPEndPoint Endpoint => Host.ProtocolEndPoint;

    public Uri HttpBase => new($"http://{Host.HttpEndPoint}");

    /// <summary>Starts a broker; <paramref name="configure"/> may adjust options (applied after the test defaults).</summary>
    public static async Task<TestBroker> StartAsync(Action<BrokerOptions>? configure = null, string? dataDir = null)
    {
        dataDir ??= TempDirectory.Create("broker");
        var options = Options(dataDir, configure);
        var host = await BrokerHost.StartAsync(options, logging => logging.SetMinimumLevel(LogLevel.Warning));
        return new TestBroker(host, dataDir);
    }

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
    public async Task RestartAsync(Action<BrokerOptions>? configure = null)
    {
        await Host.DisposeAsync();
        Host = await BrokerHost.StartAsync(Options(DataDir, configure), logging => logging.SetMinimumLevel(LogLevel.Warning));
    }

    public Task<RawClient> ConnectAsync() => RawClient.ConnectAsync(Endpoint);

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        TempDirectory.Delete(DataDir);
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
