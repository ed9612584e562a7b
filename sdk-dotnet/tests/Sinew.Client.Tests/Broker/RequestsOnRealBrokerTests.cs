// Requests the real broker answers from its catalogue: a declaration that conflicts with the queue's settings, and
// the topology, which also refreshes the client's routing. How requests are sent and matched to replies is checked on
// the fake (Engine/RequestTests.cs).
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(PublishingBroker.Name)]
public class RequestsOnRealBrokerTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 20_000)]
    public async Task Declaring_twice_with_other_settings_is_a_conflict_naming_the_setting()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("redeclare");
        Assert.True((await client.DeclareQueueAsync(topic, new QueueOptions { Partitions = 2 })).Created);
        Assert.False((await client.DeclareQueueAsync(topic, new QueueOptions { Partitions = 2 })).Created);
        var error = await Assert.ThrowsAsync<BrokerException>(() => client.DeclareQueueAsync(topic, new QueueOptions { Partitions = 4 }));
        Assert.Equal("conflict", error.Code);
        Assert.Contains($"Declare queue '{topic}' failed", error.Message, StringComparison.Ordinal);
        Assert.Contains("'partitions'", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 20_000)]
    public async Task Topology_lists_queues_and_refreshes_routing()
    {
        // Declared by another client, so this one learns of the queue only from the topology.
        var topic = RealBroker.UniqueTopic("topology");
        await using (var declaring = await broker.ConnectAsync())
        {
            await declaring.DeclareQueueAsync(topic, new QueueOptions { Group = "eu", Partitions = 4 });
        }

        await using var client = await broker.ConnectAsync();
        var topology = await client.GetTopologyAsync();
        var channel = Assert.Single(topology.Channels, c => c.Topic == topic);
        Assert.Equal((ChannelKind.Queue, topic, "eu", 4), (channel.Kind, channel.Topic, channel.Group, channel.Partitions));
        Assert.Equal(client.ServerInfo!.ServerId, Assert.Single(topology.Brokers).BrokerId);
        Assert.True(client.Core.Topology.TryGet(new Routing.QueueKey(topic, "eu"), out var route));
        Assert.Equal(channel.RoutingVersion, route.RoutingVersion);
    }
}
