// Partition routing through the client's router: the shared FNV-1a vectors, round-robin, the unknown-queue
// rules, and the topology cache that feeds them.
using System.Text.Json.Nodes;
using Sinew.Client.Routing;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Unit;

public class RoutingTests
{
    public static TheoryData<string> PartitioningIds() =>
        new(RepositoryFiles.WireVector("partitioning.json")["vectors"]!.AsArray().Select(v => (string)v!["id"]!));

    [Theory(Timeout = 5000)]
    [MemberData(nameof(PartitioningIds))]
    public async Task A_keyed_message_goes_to_the_partition_the_shared_vector_names(string id)
    {
        var vector = RepositoryFiles.WireVector("partitioning.json")["vectors"]!.AsArray().Single(v => (string)v!["id"]! == id)!;
        var key = Convert.FromHexString((string)vector["key_hex"]!);
        foreach (var expected in vector["partitions"]!.AsArray())
        {
            uint roundRobin = 0;
            var route = new QueueRoute((uint)expected!["count"]!, null);
            Assert.Equal((uint)expected["partition"]!, PartitionRouter.Choose(route, key, hasKey: true, ref roundRobin));
            Assert.Equal(0u, roundRobin);
        }

        if (vector["key_utf8"] is JsonValue text)
        {
            var message = OutgoingMessage.FromText("x").WithKey(text.GetValue<string>());
            Assert.Equal(key, message.Key!.Value.ToArray());
        }

        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Keyless_messages_go_round_robin_per_publisher()
    {
        var cache = new TopologyCache();
        var queue = new QueueKey("orders", null);
        cache.Learn(queue, 3);
        var first = new PublishTarget(queue, cache);
        var second = new PublishTarget(queue, cache);
        Assert.Equal(new uint?[] { 0, 1, 2, 0, 1 }, Enumerable.Range(0, 5).Select(_ => first.ChoosePartition(first.Route, default, false)));
        Assert.Equal(0u, second.ChoosePartition(second.Route, default, false));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Without_routing_information_keyless_messages_go_to_partition_0_and_keyed_ones_to_the_broker()
    {
        uint roundRobin = 0;
        Assert.Equal(0u, PartitionRouter.Choose(null, default, hasKey: false, ref roundRobin));
        Assert.Null(PartitionRouter.Choose(null, "k"u8, hasKey: true, ref roundRobin));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task An_empty_key_is_still_a_key()
    {
        uint roundRobin = 0;
        var route = new QueueRoute(3, null);
        Assert.Equal(2u, PartitionRouter.Choose(route, ReadOnlySpan<byte>.Empty, hasKey: true, ref roundRobin));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task A_topology_replaces_routes_and_an_older_one_is_ignored()
    {
        var cache = new TopologyCache();
        cache.Learn(new QueueKey("stale", null), 2);
        Assert.True(cache.Apply(Topology(5, ("orders", "default", 4), ("billing", "eu", 2))));
        Assert.True(cache.TryGet(new QueueKey("orders", null), out var orders));
        Assert.Equal(new QueueRoute(4, 5), orders);
        Assert.True(cache.TryGet(new QueueKey("billing", "eu"), out _));
        Assert.False(cache.TryGet(new QueueKey("stale", null), out _));

        Assert.False(cache.Apply(Topology(4, ("orders", null, 8))));
        Assert.True(cache.TryGet(new QueueKey("orders", null), out orders));
        Assert.Equal(4u, orders.Partitions);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task A_publisher_sees_route_changes()
    {
        var cache = new TopologyCache();
        var target = new PublishTarget(new QueueKey("orders", null), cache);
        Assert.Null(target.Route);
        cache.Learn(target.Queue, 2);
        Assert.Equal(2u, target.Route!.Partitions);
        cache.Apply(Topology(7, ("orders", null, 5)));
        Assert.Equal((5u, (ulong?)7), (target.Route!.Partitions, target.Route.RoutingVersion));
        await Task.CompletedTask;
    }

    private static Wire.Topology Topology(ulong generation, params (string Topic, string? Group, uint Partitions)[] queues) =>
        new(generation, [new Wire.BrokerInfo("b", ["127.0.0.1:7420"])],
            [.. queues.Select(q => new Wire.ChannelInfo(Wire.ChannelKind.Queue, q.Topic, q.Group, q.Partitions, generation))]);
}
