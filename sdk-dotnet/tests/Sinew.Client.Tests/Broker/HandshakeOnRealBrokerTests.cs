// Connecting to the real broker: one that requires credentials refuses wrong or missing ones fast with unauthorized
// and is not asked again, and a client given several endpoints tries them in order until one accepts. What a client
// puts in its Hello, and handshakes a real broker never answers, are scripted on the fake (Engine/HandshakeTests.cs).
using System.Diagnostics;
using Sinew.Client.Tests.Engine;
using Sinew.Client.Tests.Fixtures;
using Sinew.Testing;

namespace Sinew.Client.Tests.Broker;

[Collection(OwnBrokers.Name)]
public class HandshakeOnRealBrokerTests(HandshakeOnRealBrokerTests.BrokerWithCredentials fixture)
    : IClassFixture<HandshakeOnRealBrokerTests.BrokerWithCredentials>
{
    private static readonly SinewCredentials Alice = SinewCredentials.Plain("alice", "s3cret");

    private SinewBrokerFixture Broker => fixture.Broker;

    [Fact(Timeout = 60_000)]
    public async Task Rejected_credentials_fail_fast_with_unauthorized()
    {
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<BrokerException>(() => Broker.ConnectAsync(o => o.Credentials = SinewCredentials.Plain("alice", "wrong")));
        Assert.Equal("unauthorized", error.Code);
        Assert.Equal(6, error.BrokerCode);
        Assert.False(error.IsRetryable);
        Assert.Contains("Credentials", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), "an unauthorized handshake must not wait for a timeout");
    }

    [Fact(Timeout = 60_000)]
    public async Task Missing_credentials_fail_with_unauthorized_without_retrying()
    {
        await using var proxy = await FaultProxy.StartAsync(Broker.ProtocolEndpoint);
        await Assert.ThrowsAsync<BrokerException>(() => FaultyNetwork.ConnectAsync(proxy));
        Assert.Equal(1, await FaultyNetwork.AcceptedAsync(proxy));
    }

    [Fact(Timeout = 60_000)]
    public async Task Endpoints_are_tried_in_order_until_one_accepts()
    {
        var dead = $"127.0.0.1:{HandshakeTests.FreePort()}";
        await using var client = await SinewClient.ConnectAsync(Broker.ClientOptions(o =>
        {
            o.Endpoints = [dead, Broker.ProtocolEndpoint];
            o.Credentials = Alice;
        }));
        Assert.True(client.IsConnected);
        Assert.Equal(Broker.ProtocolEndpoint, $"127.0.0.1:{client.CurrentConnection!.Endpoint.Port}");
    }

    /// <summary>A broker of this class's own that admits only alice.</summary>
    public sealed class BrokerWithCredentials : IAsyncLifetime
    {
        public SinewBrokerFixture Broker { get; private set; } = null!;

        public async Task InitializeAsync() => Broker = await SinewBrokerFixture.StartAsync("--user", "alice:s3cret");

        public Task DisposeAsync() => Broker.DisposeAsync();
    }
}
