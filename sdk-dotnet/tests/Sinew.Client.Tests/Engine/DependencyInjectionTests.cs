// The dependency-injection registration: a validated, lazily connecting singleton that closes with the container,
// checked by the frames it sends. Logging through the container runs against the real broker
// (Broker/DependencyInjectionOnRealBrokerTests.cs).
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sinew.Client.Tests.Fakes;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Engine;

public class DependencyInjectionTests
{
    [Fact(Timeout = 10_000)]
    public async Task The_registered_client_is_a_singleton_that_connects_on_first_use()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d, created: true));
        var services = new ServiceCollection();
        services.AddSinewClient(o =>
        {
            o.Endpoints = [broker.Endpoint];
            o.ClientName = "di-tests";
        });
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var client = provider.GetRequiredService<SinewClient>();
        Assert.Same(client, provider.GetRequiredService<SinewClient>());
        Assert.False(client.IsConnected);
        Assert.Equal(0, broker.AcceptedConnections);

        var info = await client.DeclareQueueAsync("orders");
        Assert.True(info.Created);
        Assert.Equal("di-tests", Assert.Single(broker.ReceivedOf<Wire.Hello>()).ClientName);
    }

    [Fact(Timeout = 10_000)]
    public async Task Invalid_options_fail_when_the_client_is_resolved_with_guidance()
    {
        var services = new ServiceCollection();
        services.AddSinewClient(o => o.Endpoints = ["broker:http"]);
        await using var provider = services.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<SinewClient>());
        Assert.Contains("Endpoints[0]", error.Message, StringComparison.Ordinal);
        Assert.Contains("host:port", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 10_000)]
    public async Task Disposing_the_container_closes_the_client()
    {
        await using var broker = new FakeBroker();
        var services = new ServiceCollection();
        services.AddSinewClient(o => o.Endpoints = [broker.Endpoint]);
        var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<SinewClient>();
        await client.EnsureConnectedAsync();
        await provider.DisposeAsync();
        await broker.WaitForAsync<Wire.Goodbye>();
        Assert.False(client.IsConnected);
    }
}
