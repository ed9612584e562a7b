// The broker's own dead-letter queue, $dead-letters, through the client: a queue declared with the default policy
// dead-letters into it, and a subscription reads and settles the copies there. Each test has a broker of its own, so
// the queue holds only that test's dead letters.
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(OwnBrokers.Name)]
public class DeadLetterQueueOnRealBrokerTests
{
    [Fact(Timeout = 60_000)]
    public async Task A_message_failed_on_a_queue_with_the_default_policy_can_be_read_from_the_brokers_dead_letter_queue()
    {
        await using var broker = await SinewBrokerFixture.StartAsync();
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("to-dead-letters");
        var info = await client.DeclareQueueAsync(topic);
        Assert.Equal(DeadLetterPolicy.Global, info.DeadLetter);

        await client.CreatePublisher(topic).PublishAsync(OutgoingMessage.FromText("poison").WithHeader("tenant", "acme"));
        await using (var subscription = await client.SubscribeAsync(topic))
        {
            await (await RealBroker.ReceiveAsync(subscription)).FailAsync("cannot parse");
        }

        await using var dead = await client.SubscribeAsync("$dead-letters");
        var copy = await RealBroker.ReceiveAsync(dead);
        Assert.Equal("$dead-letters", copy.Topic);
        Assert.Equal("poison", copy.Text);
        Assert.Equal("acme", copy.Headers["tenant"]);
        Assert.Equal("terminal_nack", copy.Headers["sinew.dlq.reason"]);
        Assert.Equal("cannot parse", copy.Headers["sinew.dlq.error"]);
        Assert.Equal(topic, copy.Headers["sinew.dlq.source_topic"]);
        await copy.AckAsync();
        Assert.Null(await RealBroker.NextAsync(dead, TimeSpan.FromMilliseconds(300)));

        // Only a subscription may name it.
        Assert.Equal("reserved_prefix", (await Assert.ThrowsAsync<InvalidArgumentException>(() => client.DeclareQueueAsync("$dead-letters"))).Reason);
        Assert.Equal("reserved_prefix", Assert.Throws<InvalidArgumentException>(() => client.CreatePublisher("$dead-letters")).Reason);
    }
}
