// The routing catalogue on the wire (spec 8.2, 8.9): Topology pushed to every connection after a declare,
// coalesced under a burst, TopologyAck recorded per connection and shown by /admin/connections, a publish routed
// by a stale routing version redirected before anything is appended, and the routing version kept in queue.json.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sinew.Broker.Tests.Support;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Tests;

public class TopologyTests
{
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("x");

    [Fact(Timeout = 30_000)]
    public async Task A_declare_on_one_connection_is_pushed_to_another_as_a_topology_with_request_id_zero()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var declarer = await broker.ConnectAsync();
        await using var watcher = await broker.ConnectAsync();
        var before = await watcher.CallAsync<Topology>(TopologyRequest.Instance);

        await declarer.DeclareAsync("orders", partitions: 3);

        var pushed = await watcher.NextTopologyAsync();
        Assert.True(pushed.Generation > before.Generation, $"pushed generation {pushed.Generation} is not past {before.Generation}");
        // Every catalogue also lists the broker's own $dead-letters queue.
        Assert.Equal(["$dead-letters", "orders"], pushed.Channels.Select(c => c.Topic));
        var channel = pushed.Channels[1];
        Assert.Equal((ChannelKind.Queue, "orders", (string?)null, 3u, 1UL), (channel.Kind, channel.Topic, channel.Group, channel.Partitions, channel.RoutingVersion));
        Assert.Null(channel.Owners);
        var self = Assert.Single(pushed.Brokers);
        Assert.Equal([broker.Endpoint.ToString()], self.Endpoints);
        Assert.Contains(watcher.Arrivals, f => f.Message is Topology && f.Header.RequestId == 0);

        // The declaring connection learns the routing version the same way.
        var own = await declarer.NextTopologyAsync();
        Assert.Equal(pushed.Generation, own.Generation);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_burst_of_500_declares_is_pushed_in_far_fewer_topologies_and_the_last_names_every_queue()
    {
        const int declares = 500;
        await using var broker = await TestBroker.StartAsync();
        await using var watcher = await broker.ConnectAsync();
        var start = await watcher.CallAsync<Topology>(TopologyRequest.Instance);
        await using var declarer = await broker.ConnectAsync();
        for (var i = 0; i < declares; i++)
        {
            await declarer.DeclareAsync($"burst-{i:D3}", partitions: 2);
        }

        var (last, pushes) = await watcher.TopologyAtLeastAsync(start.Generation + declares, TimeSpan.FromSeconds(30));
        Assert.Equal(start.Generation + declares, last.Generation);
        var declared = last.Channels.Where(c => c.Topic != "$dead-letters").ToList();
        Assert.Equal(Enumerable.Range(0, declares).Select(i => $"burst-{i:D3}"), declared.Select(c => c.Topic));
        Assert.All(declared, c => Assert.Equal((2u, 1UL), (c.Partitions, c.RoutingVersion)));
        Assert.Equal(declares + 1, last.Channels.Count);
        Assert.True(pushes <= declares / 5, $"{declares} declares were pushed as {pushes} topologies");
        Assert.Equal(0, watcher.BufferedTopologies);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_connection_told_of_a_queue_by_its_declare_is_never_then_pushed_an_older_topology_without_it()
    {
        await using var broker = await TestBroker.StartAsync();
        // The test offers the frames itself, in the one order that matters: a frame built before this connection's
        // declare, offered after its DeclareQueueOk was sent (a round that raced the declare).
        var protocol = broker.Host.Context.Protocol;
        await protocol.TopologyPusher.DisposeAsync();
        await using var other = await broker.ConnectAsync();
        await using var client = await broker.ConnectAsync();
        var session = protocol.Sessions.All.Single(s => s.SessionId == client.Welcome!.SessionId);

        await other.DeclareAsync("theirs");
        var built = protocol.Topology.Latest();
        await client.DeclareAsync("mine");
        session.OfferTopology(built);
        session.OfferTopology(protocol.Topology.Latest());

        var pushed = await client.NextTopologyAsync();
        Assert.Equal(["$dead-letters", "mine", "theirs"], pushed.Channels.Select(c => c.Topic));
        Assert.Equal((ulong)built.Generation + 1, pushed.Generation);
        Assert.Equal(0, client.BufferedTopologies);
    }

    [Fact(Timeout = 30_000)]
    public async Task TopologyAck_is_recorded_per_connection_and_shown_by_the_admin_endpoint()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var acking = await broker.ConnectAsync();
        await using var silent = await broker.ConnectAsync();
        await acking.DeclareAsync("orders");
        var pushed = await acking.NextTopologyAsync();
        await silent.NextTopologyAsync();
        await acking.SendAsync(new TopologyAck(pushed.Generation));

        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var body = JsonNode.Parse(await http.GetStringAsync("/admin/connections"))!;
            Assert.Equal((long)pushed.Generation, body["topology_generation"]!.GetValue<long>());
            var connections = body["connections"]!.AsArray();
            Assert.Equal(2, connections.Count);
            var bySession = connections.ToDictionary(c => c!["session_id"]!.GetValue<string>(), c => c!);
            var mine = bySession[acking.Welcome!.SessionId];
            var theirs = bySession[silent.Welcome!.SessionId];
            Assert.Equal("raw-test-client", mine["client_name"]!.GetValue<string>());
            Assert.Equal((long)pushed.Generation, mine["topology_sent_generation"]!.GetValue<long>());
            Assert.Equal((long)pushed.Generation, theirs["topology_sent_generation"]!.GetValue<long>());
            Assert.Null(theirs["topology_acked_generation"]);
            if (mine["topology_acked_generation"] is { } acked)
            {
                Assert.Equal((long)pushed.Generation, acked.GetValue<long>());
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the acknowledged generation never showed");
            await Task.Delay(20);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_publish_with_a_stale_routing_version_is_redirected_with_the_current_version_and_appends_nothing()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("orders", partitions: 2);

        var single = await client.FailAsync(new Publish("orders", null, new PublishMessage(Payload, Partition: 1), RoutingVersion: 0),
            ErrorCode.Redirect, FrameFlags.Confirm);
        var batch = await client.FailAsync(new PublishBatch("orders", null, [new PublishMessage(Payload), new PublishMessage(Payload)], RoutingVersion: 0),
            ErrorCode.Redirect, FrameFlags.Confirm);
        foreach (var error in new[] { single, batch })
        {
            Assert.True(error.Retryable);
            Assert.Equal("1", error.Details!["routing_version"]);
            Assert.Equal(broker.Endpoint.ToString(), error.Details["endpoint"]);
        }

        // Nothing was appended: the first message each partition stores now is at offset 0.
        var current = await client.CallAsync<PublishOk>(new Publish("orders", null, new PublishMessage(Payload, Partition: 1), RoutingVersion: 1),
            FrameFlags.Confirm);
        Assert.Equal((1u, 0UL), (current.Results[0].Partition, current.Results[0].Offset));
        Assert.Equal(0UL, (await client.PublishAsync("orders", Payload, partition: 0)).Offset);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_routing_version_is_kept_in_queue_json_across_a_restart_and_an_older_file_without_it_reads_as_one()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("moved", partitions: 2);
            await client.DeclareAsync("legacy");
        }

        var moved = DataFiles.QueueFile(broker.DataDir, "moved");
        var legacy = DataFiles.QueueFile(broker.DataDir, "legacy");
        Assert.Equal(1UL, JsonNode.Parse(File.ReadAllText(moved))!["routing_version"]!.GetValue<ulong>());

        await broker.Host.StopAsync();
        // What a change of partitioning leaves behind, and a file written before the version was kept.
        RewriteQueueFile(moved, json => json["routing_version"] = 3);
        RewriteQueueFile(legacy, json => json.Remove("routing_version"));
        await broker.RestartAsync();

        await using var after = await broker.ConnectAsync();
        var topology = await after.CallAsync<Topology>(TopologyRequest.Instance);
        Assert.Equal([("$dead-letters", 1UL), ("legacy", 1UL), ("moved", 3UL)], topology.Channels.Select(c => (c.Topic, c.RoutingVersion)));
        var error = await after.FailAsync(new Publish("moved", null, new PublishMessage(Payload), RoutingVersion: 2), ErrorCode.Redirect, FrameFlags.Confirm);
        Assert.Equal("3", error.Details!["routing_version"]);
        await after.CallAsync<PublishOk>(new Publish("moved", null, new PublishMessage(Payload), RoutingVersion: 3), FrameFlags.Confirm);
        await after.CallAsync<PublishOk>(new Publish("legacy", null, new PublishMessage(Payload), RoutingVersion: 1), FrameFlags.Confirm);
        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        var queues = JsonNode.Parse(await http.GetStringAsync("/admin/queues"))!.AsArray();
        Assert.Equal(3UL, queues.Single(q => q!["topic"]!.GetValue<string>() == "moved")!["routing_version"]!.GetValue<ulong>());
    }

    private static void RewriteQueueFile(string path, Action<JsonObject> change)
    {
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        change(json);
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
