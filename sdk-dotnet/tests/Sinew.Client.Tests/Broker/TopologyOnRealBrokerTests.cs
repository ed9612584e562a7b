// What the client does with the real broker's topology. The broker never pushes one: it answers TopologyRequest with
// every queue and its partition count, under a generation that counts the queues it holds. A client that never
// declared a queue asks on its own and routes by the answer, and it takes the answer of the broker it is connected to
// now, even when that broker's generation is lower than the last one seen: a broker replaced on the same address
// (its data started afresh) counts from the beginning again.
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(OwnBrokers.Name)]
public class TopologyOnRealBrokerTests
{
    [Fact(Timeout = 60_000)]
    public async Task A_queue_declared_elsewhere_is_routed_by_the_brokers_answer_without_asking_for_the_topology()
    {
        await using var broker = await SinewBrokerFixture.StartAsync();
        await using var creator = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("learned");
        await creator.DeclareQueueAsync(topic, new QueueOptions { Partitions = 3 });

        await using var client = await broker.ConnectAsync();
        var publisher = client.CreatePublisher(topic);
        var partitions = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            partitions.Add((await publisher.PublishAsync(OutgoingMessage.FromText($"m{i}"))).Partition);
        }

        Assert.Equal([0, 1, 2, 0, 1, 2], partitions);
        await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { AckMode = AckMode.Auto });
        var deliveries = await RealBroker.ReceiveManyAsync(subscription, 6);
        Assert.Equal([0, 1, 2], deliveries.Select(d => d.Partition).Distinct().Order());
    }

    [Fact(Timeout = 60_000)]
    public async Task After_reconnecting_to_a_broker_replaced_with_fresh_data_the_client_routes_by_that_brokers_topology()
    {
        await using var broker = await SinewBrokerFixture.StartAsync();
        await using var client = await broker.ConnectAsync();
        for (var i = 0; i < 4; i++)
        {
            await client.DeclareQueueAsync(RealBroker.UniqueTopic("old"));
        }

        var old = await client.GetTopologyAsync();
        Assert.Equal(4UL, old.Generation);

        // The replacement listens on the same address with none of the old data, and a queue the client never saw.
        await broker.StopAsync();
        foreach (var entry in Directory.EnumerateFileSystemEntries(broker.DataDirectory))
        {
            if (Directory.Exists(entry))
            {
                Directory.Delete(entry, recursive: true);
            }
            else
            {
                File.Delete(entry);
            }
        }

        await broker.StartAgainAsync();
        await using var creator = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("new");
        await creator.DeclareQueueAsync(topic, new QueueOptions { Partitions = 3 });

        var publisher = client.CreatePublisher(topic);
        var partitions = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            partitions.Add((await publisher.PublishAsync(OutgoingMessage.FromText($"m{i}"))).Partition);
        }

        Assert.Equal([0, 1, 2], partitions);
        var now = await client.GetTopologyAsync();
        Assert.Equal(1UL, now.Generation);
        Assert.Equal(["$dead-letters", topic], now.Channels.Select(c => c.Topic).Order(StringComparer.Ordinal));
    }
}
