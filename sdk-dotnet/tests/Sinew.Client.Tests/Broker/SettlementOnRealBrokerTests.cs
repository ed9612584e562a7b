// Settling against the real broker, from the client's side: a settlement nobody awaits still reaches the broker, and
// a refused one leaves the delivery to be settled. The frames settlements travel in are checked on the fake
// (Engine/SettlementTests.cs); what each settlement does to a message is in ConsumingTests.
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(ConsumingBroker.Name)]
public class SettlementOnRealBrokerTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 20_000)]
    public async Task A_settlement_is_sent_whether_or_not_it_is_awaited()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("unawaited-ack");
        await client.DeclareQueueAsync(topic, new QueueOptions { Lease = TimeSpan.FromMilliseconds(300) });
        await client.CreatePublisher(topic).PublishAsync(OutgoingMessage.FromText("once"));
        await using var subscription = await client.SubscribeAsync(topic);
        var delivery = await RealBroker.ReceiveAsync(subscription);
        _ = delivery.AckAsync();

        // Unacknowledged, the message would come back once its 300 ms lease ran out.
        Assert.Null(await RealBroker.NextAsync(subscription, TimeSpan.FromSeconds(1)));
    }

    [Fact(Timeout = 20_000)]
    public async Task A_fail_reason_over_1024_bytes_is_refused_and_the_delivery_stays_unsettled()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("long-reason");
        await client.DeclareQueueAsync(topic);
        await client.CreatePublisher(topic).PublishAsync(OutgoingMessage.FromText("x"));
        await using var subscription = await client.SubscribeAsync(topic);
        var delivery = await RealBroker.ReceiveAsync(subscription);
        await Assert.ThrowsAsync<InvalidArgumentException>(() => delivery.FailAsync(new string('r', 1025)));
        Assert.False(delivery.IsSettled);
        await delivery.AckAsync();
    }
}
