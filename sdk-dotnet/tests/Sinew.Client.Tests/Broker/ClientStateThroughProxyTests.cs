// What a client tells about itself and how it connects on demand, the same in every client: EnsureConnectedAsync
// connects (or reconnects after a drop) now, IsClosed says whether closing began, Options gives back the options the
// client was made with. A fault proxy cuts the connection.
using Sinew.Client.Tests.Fixtures;
using Sinew.Testing;

namespace Sinew.Client.Tests.Broker;

[Collection(FaultyNetwork.Name)]
public class ClientStateThroughProxyTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 60_000)]
    public async Task EnsureConnectedAsync_reconnects_now_after_a_drop_and_fails_once_closed()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        await using var client = new SinewClient(TestClients.Options(proxy.Endpoint));
        Assert.False(client.IsConnected);
        await client.EnsureConnectedAsync();
        Assert.True(client.IsConnected);

        await proxy.CutAsync();
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client noticed the cut");
        await client.EnsureConnectedAsync();
        Assert.True(client.IsConnected);
        Assert.Equal(2, await FaultyNetwork.AcceptedAsync(proxy));

        Assert.False(client.IsClosed);
        await client.CloseAsync();
        Assert.True(client.IsClosed);
        await Assert.ThrowsAsync<ClientClosedException>(() => client.EnsureConnectedAsync());
    }

    [Fact(Timeout = 60_000)]
    public async Task Options_are_those_the_client_was_made_with_and_a_copy()
    {
        var given = TestClients.Options(broker.ProtocolEndpoint, o => o.RequestTimeout = TimeSpan.FromSeconds(7));
        await using var client = await SinewClient.ConnectAsync(given);
        given.RequestTimeout = TimeSpan.FromSeconds(1);

        var options = client.Options;
        Assert.Equal([broker.ProtocolEndpoint], options.Endpoints);
        Assert.Equal(TimeSpan.FromSeconds(7), options.RequestTimeout);
        Assert.Equal("client-tests", options.ClientName);
        options.RequestTimeout = TimeSpan.FromSeconds(2);
        Assert.Equal(TimeSpan.FromSeconds(7), client.Options.RequestTimeout);
    }
}
