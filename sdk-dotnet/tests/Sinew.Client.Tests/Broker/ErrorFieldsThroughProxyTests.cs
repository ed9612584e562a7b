// The structured fields the connection errors carry, the same in every client: the endpoints a failed connect tried
// and how each failed, the endpoint whose connection dropped, and the time limit that expired. Real brokers behind a
// fault proxy, and loopback ports nothing listens on.
using System.Net;
using System.Net.Sockets;
using Sinew.Client.Tests.Fixtures;
using Sinew.Testing;

namespace Sinew.Client.Tests.Broker;

[Collection(FaultyNetwork.Name)]
public class ErrorFieldsThroughProxyTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 60_000)]
    public async Task A_failed_connect_lists_every_endpoint_tried_with_its_error_in_order()
    {
        string[] endpoints = [ClosedEndpoint(), ClosedEndpoint()];
        var error = await Assert.ThrowsAsync<ConnectionException>(() =>
            SinewClient.ConnectAsync(TestClients.Options(endpoints[0], o => o.Endpoints = endpoints)));

        Assert.Equal(endpoints, error.Failures.Select(f => f.Endpoint));
        Assert.All(error.Failures, f => Assert.IsType<ConnectionException>(f.Error));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_failed_connect_to_one_endpoint_lists_it_too()
    {
        var endpoint = ClosedEndpoint();
        var error = await Assert.ThrowsAsync<ConnectionException>(() => SinewClient.ConnectAsync(TestClients.Options(endpoint)));

        var failure = Assert.Single(error.Failures);
        Assert.Equal(endpoint, failure.Endpoint);
        Assert.Equal(error.Message, failure.Error.Message);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_failed_reconnect_lists_the_endpoints_of_every_attempt()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        await using var client = await FaultyNetwork.ConnectAsync(proxy, o => o.Reconnect = new ReconnectPolicy
        {
            MaxAttempts = 2, InitialDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(20),
        });
        await proxy.BlackholeAsync(ProxyScope.New);
        await proxy.CutAsync();
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client noticed the cut");

        var error = await Assert.ThrowsAsync<ConnectionException>(() => client.GetTopologyAsync());
        Assert.Equal([proxy.Endpoint, proxy.Endpoint], error.Failures.Select(f => f.Endpoint));
    }

    [Fact(Timeout = 60_000)]
    public async Task An_operation_cut_off_with_its_connection_names_the_endpoint()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        await using var client = await FaultyNetwork.ConnectAsync(proxy, o => o.Reconnect = ReconnectPolicy.Disabled);
        var topic = RealBroker.UniqueTopic("lost-endpoint");
        await client.DeclareQueueAsync(topic);

        // The broker's answer never arrives; the connection is cut while the publish waits for it.
        await proxy.StallAsync(ProxyDirection.Down);
        var before = await FaultyNetwork.BytesReadAsync(proxy, ProxyDirection.Up);
        var publishing = client.CreatePublisher(topic).PublishAsync(OutgoingMessage.FromText("cut"));
        await FaultyNetwork.WaitForBytesReadAsync(proxy, ProxyDirection.Up, before, "the publish was written");
        await proxy.CutAsync();

        var error = await Assert.ThrowsAsync<ConnectionLostException>(() => publishing);
        Assert.Equal(proxy.Endpoint, error.Endpoint);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_request_that_times_out_names_the_request_timeout()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        var limit = TimeSpan.FromMilliseconds(400);
        await using var client = await FaultyNetwork.ConnectAsync(proxy, o => o.RequestTimeout = limit);

        await proxy.StallAsync(ProxyDirection.Up);
        var error = await Assert.ThrowsAsync<OperationTimeoutException>(() => client.GetTopologyAsync());
        Assert.Equal(limit, error.Timeout);
    }

    /// <summary>A loopback address nothing listens on: a port the system handed out and took back.</summary>
    private static string ClosedEndpoint()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"127.0.0.1:{port}";
    }
}
