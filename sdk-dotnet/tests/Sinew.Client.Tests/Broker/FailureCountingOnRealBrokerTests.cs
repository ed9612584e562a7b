// What the real broker counts as a failure, seen from the client: a delivery the application was given and did not
// settle comes back with one more failure when its subscription closes, a prefetched one it never saw comes back
// without, and the delivery whose failures reached the queue's max retries is the last attempt. The exact
// Unsubscribe and Goodbye frames behind this are checked on the fake (Engine/HandedOutTests.cs).
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(ConsumingBroker.Name)]
public class FailureCountingOnRealBrokerTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 30_000)]
    public async Task After_an_unsubscribe_the_delivery_handed_out_returns_with_a_failure_and_the_prefetched_ones_without()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("handed-out");
        await client.DeclareQueueAsync(topic, new QueueOptions { MaxRetries = 3 });
        var publisher = client.CreatePublisher(topic);
        foreach (var text in new[] { "m0", "m1", "m2", "m3" })
        {
            await publisher.PublishAsync(OutgoingMessage.FromText(text));
        }

        var first = await client.SubscribeAsync(topic, new SubscribeOptions { Prefetch = 10 });
        var held = await RealBroker.ReceiveAsync(first);
        Assert.Equal((1, 0, (int?)3, false), (held.Attempt, held.Failures, held.MaxRetries, held.IsLastAttempt));
        await TestClients.EventuallyAsync(() => first.Buffered == 3, "the other three messages were prefetched");
        await first.CloseAsync();

        await using var second = await client.SubscribeAsync(topic, new SubscribeOptions { Prefetch = 10 });
        var again = await RealBroker.ReceiveManyAsync(second, 4);
        Assert.All(again, d => Assert.Equal(2, d.Attempt));
        Assert.All(again, d => Assert.Equal(3, d.MaxRetries));
        Assert.Equal(1, Assert.Single(again, d => d.Text == held.Text).Failures);
        Assert.All(again.Where(d => d.Text != held.Text), d => Assert.Equal(0, d.Failures));
        Assert.All(again, d => Assert.False(d.IsLastAttempt));
        foreach (var delivery in again)
        {
            await delivery.AckAsync();
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task Closing_the_client_counts_a_failure_only_for_the_delivery_it_handed_out()
    {
        var topic = RealBroker.UniqueTopic("handed-out-goodbye");
        await using var reader = await broker.ConnectAsync();
        await reader.DeclareQueueAsync(topic, new QueueOptions { MaxRetries = 3 });
        var publisher = reader.CreatePublisher(topic);
        await publisher.PublishAsync(OutgoingMessage.FromText("seen"));
        await publisher.PublishAsync(OutgoingMessage.FromText("prefetched"));

        await using (var closing = await broker.ConnectAsync())
        {
            var subscription = await closing.SubscribeAsync(topic, new SubscribeOptions { Prefetch = 10 });
            Assert.Equal("seen", (await RealBroker.ReceiveAsync(subscription)).Text);
            await TestClients.EventuallyAsync(() => subscription.Buffered == 1, "the second message was prefetched");
        }

        await using var again = await reader.SubscribeAsync(topic, new SubscribeOptions { Prefetch = 10 });
        var returned = (await RealBroker.ReceiveManyAsync(again, 2)).ToDictionary(d => d.Text);
        Assert.Equal(1, returned["seen"].Failures);
        Assert.Equal(0, returned["prefetched"].Failures);
        Assert.All(returned.Values, d => Assert.Equal(2, d.Attempt));
    }

    [Fact(Timeout = 30_000)]
    public async Task The_delivery_whose_failures_reached_max_retries_is_the_last_attempt_and_retrying_it_dead_letters_it()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("last-attempt");
        await client.DeclareQueueAsync(topic, new QueueOptions { MaxRetries = 1, DeadLetter = DeadLetterPolicy.Discard });
        await client.CreatePublisher(topic).PublishAsync(OutgoingMessage.FromText("flaky"));
        await using var subscription = await client.SubscribeAsync(topic);

        var firstTry = await RealBroker.ReceiveAsync(subscription);
        Assert.Equal((0, (int?)1, false), (firstTry.Failures, firstTry.MaxRetries, firstTry.IsLastAttempt));
        await firstTry.RetryAsync("busy");

        var lastTry = await RealBroker.ReceiveAsync(subscription);
        Assert.Equal((2, 1, (int?)1, true), (lastTry.Attempt, lastTry.Failures, lastTry.MaxRetries, lastTry.IsLastAttempt));
        await lastTry.RetryAsync("still busy");
        Assert.Null(await RealBroker.NextAsync(subscription, TimeSpan.FromMilliseconds(300)));
    }
}
