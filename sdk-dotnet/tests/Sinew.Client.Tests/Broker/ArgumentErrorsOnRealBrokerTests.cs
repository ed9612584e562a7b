// Misused settlements of deliveries from the real broker, refused with the argument and the reason word every Sinew
// client uses (the rest of the table is in Engine/ArgumentErrorTests.cs).
using Sinew.Client.Tests.Engine;
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(ConsumingBroker.Name)]
public class ArgumentErrorsOnRealBrokerTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 20_000)]
    public async Task Settlements_are_refused_with_the_shared_reasons()
    {
        await using var client = await broker.ConnectAsync();
        var orders = RealBroker.UniqueTopic("refused-orders");
        var audit = RealBroker.UniqueTopic("refused-audit");
        await client.DeclareQueueAsync(orders, new QueueOptions { Partitions = 2 });
        await client.DeclareQueueAsync(audit);
        await client.CreatePublisher(orders).PublishBatchAsync([OutgoingMessage.FromText("a"), OutgoingMessage.FromText("b")]);
        await client.CreatePublisher(audit).PublishAsync(OutgoingMessage.FromText("c"));
        await using var manual = await client.SubscribeAsync(orders);
        await using var auto = await client.SubscribeAsync(audit, new SubscribeOptions { AckMode = AckMode.Auto });
        var deliveries = await TestClients.TakeAsync(manual, 2);
        var autoAcked = (await TestClients.TakeAsync(auto, 1))[0];

        Assert.Equal(("AckMode", "auto_ack"), await ArgumentErrorTests.Refusal(() => autoAcked.AckAsync()));
        await deliveries[0].AckAsync();
        Assert.Equal(("delivery", "already_settled"), await ArgumentErrorTests.Refusal(() => deliveries[0].AckAsync()));
        Assert.Equal(("reason", "too_long"), await ArgumentErrorTests.Refusal(() => deliveries[1].FailAsync(new string('r', 1025))));
        Assert.Equal(("delay", "out_of_range"), await ArgumentErrorTests.Refusal(() => deliveries[1].RetryAfterAsync(TimeSpan.FromSeconds(-1))));
        Assert.Equal(("by", "out_of_range"), await ArgumentErrorTests.Refusal(() => deliveries[1].ExtendLeaseAsync(TimeSpan.Zero)));
    }
}
