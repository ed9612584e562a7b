// Finding a queue in the broker's catalogue by topic and group, the same in every client: the group is normalised
// (null, "" and "default" mean none), and a queue the catalogue lacks is null.
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(PublishingBroker.Name)]
public class TopologyFindTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 60_000)]
    public async Task Find_returns_the_channel_of_a_topic_and_group_or_null()
    {
        await using var client = await SinewClient.ConnectAsync(TestClients.Options(broker.ProtocolEndpoint));
        var topic = RealBroker.UniqueTopic("find");
        await client.DeclareQueueAsync(topic, new QueueOptions { Partitions = 2 });
        await client.DeclareQueueAsync(topic, new QueueOptions { Group = "eu", Partitions = 3 });

        var topology = await client.GetTopologyAsync();
        Assert.Equal((topic, null, 2), Describe(topology.Find(topic)));
        Assert.Equal((topic, null, 2), Describe(topology.Find(topic, "default")));
        Assert.Equal((topic, null, 2), Describe(topology.Find(topic, "")));
        Assert.Equal((topic, "eu", 3), Describe(topology.Find(topic, "eu")));
        Assert.Null(topology.Find(topic, "us"));
        Assert.Null(topology.Find(topic + ".missing"));
    }

    private static (string, string?, int)? Describe(TopologyChannel? channel) =>
        channel is null ? null : (channel.Topic, channel.Group, channel.Partitions);
}
