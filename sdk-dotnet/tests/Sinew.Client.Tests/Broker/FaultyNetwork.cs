// The collection of fault tests: one real broker shared by tests that each put a fault proxy in front of it, and
// the helpers they share.
using Sinew.Client.Tests.Fixtures;
using Sinew.Testing;

namespace Sinew.Client.Tests.Broker;

/// <summary>Tests that reach the real broker through a fault proxy of their own, sharing one broker.</summary>
[CollectionDefinition(Name)]
public sealed class FaultyNetwork : ICollectionFixture<SinewBrokerFixture>
{
    public const string Name = "Real broker: faults through a proxy";

    /// <summary>A client connected through <paramref name="proxy"/>.</summary>
    public static Task<SinewClient> ConnectAsync(FaultProxy proxy, Action<SinewClientOptions>? configure = null) =>
        SinewClient.ConnectAsync(TestClients.Options(proxy.Endpoint, configure));

    /// <summary>How many connections the proxy accepted so far: the first connection and every reconnection.</summary>
    public static async Task<long> AcceptedAsync(FaultProxy proxy) => (await proxy.ConnectionsAsync()).Accepted;

    /// <summary>Waits until the proxy has read more than <paramref name="baseline"/> bytes in a direction of its only
    /// open connection: the sender has written, whether or not the proxy passes it on.</summary>
    public static async Task WaitForBytesReadAsync(FaultProxy proxy, ProxyDirection direction, long baseline, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (await BytesReadAsync(proxy, direction) <= baseline)
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}.");
            await Task.Delay(10);
        }
    }

    /// <summary>Bytes the proxy has read so far in a direction of its only open connection.</summary>
    public static async Task<long> BytesReadAsync(FaultProxy proxy, ProxyDirection direction)
    {
        var connection = Assert.Single((await proxy.ConnectionsAsync()).Open);
        return direction == ProxyDirection.Up ? connection.Up.Read : connection.Down!.Read;
    }
}
