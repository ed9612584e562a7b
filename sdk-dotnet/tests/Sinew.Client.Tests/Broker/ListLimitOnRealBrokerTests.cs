// Settling more deliveries at once than the broker takes in one list (limits.max_list_items, protocol section 2.4):
// the client splits the coalesced settlements into frames within the limit the broker announced. A broker with a
// limit of 16 refuses any longer Ack, Nack or ExtendLease outright, so a settlement that was not split fails here.
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(OwnBrokers.Name)]
public class ListLimitOnRealBrokerTests(ListLimitOnRealBrokerTests.BrokerWithSmallListLimit fixture)
    : IClassFixture<ListLimitOnRealBrokerTests.BrokerWithSmallListLimit>
{
    private const int Limit = 16;
    private const int Messages = 20 * Limit;

    private SinewBrokerFixture Broker => fixture.Broker;

    private async Task<(SinewClient Client, Subscription Subscription, List<Delivery> Deliveries)> HoldAsync(string what)
    {
        var client = await Broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic(what);
        await client.DeclareQueueAsync(topic, new QueueOptions { Lease = TimeSpan.FromMilliseconds(800) });
        var publisher = client.CreatePublisher(topic);
        for (var i = 0; i < Messages; i += Limit)
        {
            await publisher.PublishBatchAsync([.. Enumerable.Range(i, Limit).Select(n => OutgoingMessage.FromText($"m{n}"))]);
        }

        var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { Prefetch = Messages });
        return (client, subscription, await RealBroker.ReceiveManyAsync(subscription, Messages));
    }

    [Fact(Timeout = 60_000)]
    public async Task Acks_of_more_deliveries_than_the_list_limit_are_split_into_frames_the_broker_accepts()
    {
        var (client, subscription, deliveries) = await HoldAsync("split-acks");
        await using var _ = client;
        await using var __ = subscription;

        // Issued together, the acks coalesce into batches longer than 16; each must go out as frames of at most 16.
        await Task.WhenAll(deliveries.Select(d => d.AckAsync()));

        Assert.All(deliveries, d => Assert.True(d.IsSettled));
        // Settled for real: nothing comes back once the 800 ms leases would have run out.
        Assert.Null(await RealBroker.NextAsync(subscription, TimeSpan.FromMilliseconds(1500)));
    }

    [Fact(Timeout = 60_000)]
    public async Task Lease_extensions_and_retries_of_more_deliveries_than_the_list_limit_are_split_too()
    {
        var (client, subscription, deliveries) = await HoldAsync("split-nacks");
        await using var _ = client;
        await using var __ = subscription;

        await Task.WhenAll(deliveries.Select(d => d.ExtendLeaseAsync(TimeSpan.FromSeconds(30))));
        await Task.WhenAll(deliveries.Select(d => d.RetryAsync()));

        // Every retry was accepted: each message comes back once, as its second attempt.
        var again = await RealBroker.ReceiveManyAsync(subscription, Messages);
        Assert.All(again, d => Assert.Equal(2, d.Attempt));
        Assert.Equal(Messages, again.Select(d => d.Text).Distinct().Count());
        await Task.WhenAll(again.Select(d => d.AckAsync()));
    }

    /// <summary>A broker of this class's own whose frames hold at most 16 list entries.</summary>
    public sealed class BrokerWithSmallListLimit : IAsyncLifetime
    {
        public SinewBrokerFixture Broker { get; private set; } = null!;

        public async Task InitializeAsync() => Broker = await SinewBrokerFixture.StartAsync(
            "--set", $"limits.max_list_items={Limit}", "--set", $"queues.max_partitions={Limit}");

        public Task DisposeAsync() => Broker.DisposeAsync();
    }
}
