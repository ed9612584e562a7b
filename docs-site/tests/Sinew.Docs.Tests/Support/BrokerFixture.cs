// A real broker for the code samples to run against: the built sinew-broker on free ports with a
// throwaway data directory, stopped with SIGTERM (as an operator would) when the tests are done. The process is
// started by the launcher every C# test project shares (tools/testing/Sinew.Testing).
using Sinew.Testing;

namespace Sinew.Docs.Tests.Support;

[CollectionDefinition(Name)]
public sealed class BrokerTestGroup : ICollectionFixture<BrokerFixture>
{
    public const string Name = "broker";
}

public sealed class BrokerFixture : IAsyncLifetime
{
    private BrokerProcess? _process;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), $"sinew-docs-tests-{Guid.NewGuid():N}");

    /// <summary>host:port of the protocol listener, as SINEW_BROKER expects it.</summary>
    public string Endpoint { get; private set; } = "";

    public Uri Http { get; private set; } = null!;

    /// <summary>What the broker wrote to standard error so far, for failure messages.</summary>
    public string Log => _process?.StandardError ?? "";

    public async Task InitializeAsync()
    {
        _process = await BrokerProcess.StartAsync(DataDirectory, startupTimeout: TimeSpan.FromSeconds(60));
        Endpoint = _process.ProtocolEndpoint;
        Http = new Uri($"http://{_process.HttpEndpoint}/");
    }

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.StopAsync(TimeSpan.FromSeconds(30));
            await _process.DisposeAsync();
        }

        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}
