// How publishing reacts to the broker's redirect, against the scripted fake: a real single broker redirects only a
// publish stamped with a routing version older than the queue's, which a client keeping its catalogue live does not
// send (after a restart it refreshes before routing), so the answers are scripted here. Redirects are answered before
// anything is stored, so the client sends the message again, routed by the refreshed catalogue, a bounded number of
// times; the ways of publishing that keep no copy of the message report the redirect instead.
using Sinew.Client.Tests.Fakes;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Routing;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Engine;

public class CatalogueRoutingTests
{
    private static readonly Dictionary<string, string> Moved = new() { ["routing_version"] = "2", ["endpoint"] = "127.0.0.1:7420" };

    [Fact(Timeout = 10_000)]
    public async Task A_redirected_publish_is_sent_again_with_the_refreshed_partition_count_and_routing_version()
    {
        await using var broker = new FakeBroker();
        broker.AnswerInTurn<Wire.TopologyRequest>(Catalogue(1, partitions: 2), Catalogue(2, partitions: 3));
        broker.AnswerInTurn<Wire.Publish>(Redirect(), ScriptedReplies.PublishOk((2, 0)));
        await using var client = await TestClients.ConnectAsync(broker);
        await client.GetCatalogueAsync();

        var receipt = await client.CreatePublisher("orders").PublishAsync(OutgoingMessage.FromText("x").WithKey("customer-7"));

        Assert.Equal(2, receipt.Partition);
        var sent = broker.ReceivedOf<Wire.Publish>();
        Assert.Equal([(ulong?)1, 2], sent.Select(p => p.RoutingVersion));
        var key = "customer-7"u8.ToArray();
        Assert.Equal([PartitionRouting.PartitionForKey(key, 2), PartitionRouting.PartitionForKey(key, 3)], sent.Select(p => p.Message.Partition!.Value));
        Assert.Equal(2, broker.ReceivedOf<Wire.TopologyRequest>().Count);
        Assert.Equal(3, (await client.GetCatalogueAsync()).Find("orders")!.Partitions);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_redirected_batch_is_sent_again_as_a_whole()
    {
        await using var broker = new FakeBroker();
        broker.AnswerInTurn<Wire.TopologyRequest>(Catalogue(1, partitions: 1), Catalogue(2, partitions: 1));
        broker.AnswerInTurn<Wire.PublishBatch>(Redirect(), ScriptedReplies.PublishOk((0, 0), (0, 1)));
        await using var client = await TestClients.ConnectAsync(broker);
        await client.GetCatalogueAsync();

        var receipts = await client.CreatePublisher("orders").PublishBatchAsync([OutgoingMessage.FromText("a"), OutgoingMessage.FromText("b")]);

        Assert.Equal([0L, 1L], receipts.Select(r => r.Offset));
        Assert.Equal([(ulong?)1, 2], broker.ReceivedOf<Wire.PublishBatch>().Select(b => b.RoutingVersion));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_publish_the_broker_keeps_redirecting_fails_with_redirect_after_three_resends()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.TopologyRequest>(_ => Catalogue(1, partitions: 1));
        broker.Answer<Wire.Publish>(_ => Redirect());
        await using var client = await TestClients.ConnectAsync(broker);

        var error = await Assert.ThrowsAsync<BrokerException>(() => client.CreatePublisher("orders").PublishAsync(OutgoingMessage.FromText("x")));

        Assert.Equal("redirect", error.Code);
        Assert.True(error.IsRetryable);
        Assert.Equal(4, broker.ReceivedOf<Wire.Publish>().Count);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_redirected_pipelined_publish_reports_the_redirect_and_the_next_publish_routes_by_the_refreshed_catalogue()
    {
        await using var broker = new FakeBroker();
        broker.AnswerInTurn<Wire.TopologyRequest>(Catalogue(1, partitions: 1), Catalogue(2, partitions: 1));
        broker.AnswerInTurn<Wire.Publish>(Redirect(), ScriptedReplies.PublishOk((0, 0)));
        await using var client = await TestClients.ConnectAsync(broker);
        await client.GetCatalogueAsync();
        var publisher = client.CreatePublisher("orders");

        var confirmation = await publisher.PublishWithConfirmationAsync(OutgoingMessage.FromText("x"));
        var error = await Assert.ThrowsAsync<BrokerException>(() => confirmation.Completion);
        Assert.Equal("redirect", error.Code);
        await publisher.PublishAsync(OutgoingMessage.FromText("y"));

        Assert.Equal([(ulong?)1, 2], broker.ReceivedOf<Wire.Publish>().Select(p => p.RoutingVersion));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_redirected_unconfirmed_publish_reaches_the_error_handler_and_refreshes_the_catalogue()
    {
        await using var broker = new FakeBroker();
        broker.AnswerInTurn<Wire.TopologyRequest>(Catalogue(1, partitions: 1), Catalogue(2, partitions: 1));
        broker.On<Wire.Publish>((frame, _) => frame.Connection.Send(Redirect()));
        var reported = new TaskCompletionSource<SinewException>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var client = await TestClients.ConnectAsync(broker, o => o.OnError = e => reported.TrySetResult(e));
        await client.GetCatalogueAsync();

        await client.CreatePublisher("orders").PublishUnconfirmedAsync(OutgoingMessage.FromText("x"));

        Assert.Equal("redirect", (await reported.Task).Code);
        await TestClients.EventuallyAsync(() => client.Core.Catalogue.Current?.Generation == 2, "the refreshed catalogue is applied");
        Assert.Equal(2, broker.ReceivedOf<Wire.TopologyRequest>().Count);
    }

    [Fact(Timeout = 10_000)]
    public async Task After_a_reconnection_the_first_publish_waits_for_the_fresh_catalogue_and_carries_its_routing_version()
    {
        await using var broker = new FakeBroker();
        broker.AnswerInTurn<Wire.TopologyRequest>(Catalogue(1, partitions: 1), Catalogue(2, partitions: 1, routingVersion: 4));
        broker.Answer<Wire.Publish>(_ => ScriptedReplies.PublishOk((0, 0)));
        await using var client = await TestClients.ConnectAsync(broker);
        await client.GetCatalogueAsync();
        var publisher = client.CreatePublisher("orders");
        await publisher.PublishAsync(OutgoingMessage.FromText("before"));

        broker.DropAllConnections();
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client sees the drop");
        await publisher.PublishAsync(OutgoingMessage.FromText("after"));

        Assert.Equal([(ulong?)1, 4], broker.ReceivedOf<Wire.Publish>().Select(p => p.RoutingVersion));
        Assert.Equal(2, broker.ReceivedOf<Wire.TopologyRequest>().Count);
    }

    private static Wire.Error Redirect() => ScriptedReplies.Error(ErrorCode.Redirect, true, "the routing used is stale", Moved);

    private static Wire.Topology Catalogue(ulong generation, uint partitions, ulong? routingVersion = null) =>
        new(generation, [new Wire.BrokerInfo("fake-broker", [])],
            [new Wire.ChannelInfo(Wire.ChannelKind.Queue, "orders", null, partitions, routingVersion ?? generation)]);
}
