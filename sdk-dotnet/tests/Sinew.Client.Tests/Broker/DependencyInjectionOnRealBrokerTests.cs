// The client registered for dependency injection, connected to the real broker, logs through the container's logger
// factory with stable event ids. What the registration sends is checked on the fake (Engine/DependencyInjectionTests.cs).
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(PublishingBroker.Name)]
public class DependencyInjectionOnRealBrokerTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 20_000)]
    public async Task The_client_logs_through_the_containers_logger_factory_with_stable_event_ids()
    {
        var sink = new RecordingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(sink).SetMinimumLevel(LogLevel.Debug));
        services.AddSinewClient(o => o.Endpoints = [broker.ProtocolEndpoint]);
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<SinewClient>().EnsureConnectedAsync();

        var connected = Assert.Single(sink.Entries, e => e.Id.Id == SinewLogEvents.Connected);
        Assert.Equal(SinewDiagnostics.LoggerCategory, connected.Category);
        Assert.Contains(broker.ProtocolEndpoint, connected.Message, StringComparison.Ordinal);
    }
}
