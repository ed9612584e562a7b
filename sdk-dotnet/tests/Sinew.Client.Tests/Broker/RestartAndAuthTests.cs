// Against brokers of their own: what survives a broker restart (stored messages, the publish dedup state), how a
// graceful shutdown ends subscriptions and how the client comes back, and authentication.
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(OwnBrokers.Name)]
public class RestartAndAuthTests
{
    [Fact(Timeout = 60_000)]
    public async Task Confirmed_messages_and_the_dedup_state_survive_a_broker_restart()
    {
        await using var broker = await SinewBrokerFixture.StartAsync();
        var topic = RealBroker.UniqueTopic("restart");
        var producer = "producer-" + Guid.NewGuid().ToString("N")[..8];
        var options = new ReliablePublisherOptions { ProducerId = producer };
        string serverId;
        IReadOnlyList<PublishReceipt> before;
        await using (var client = await broker.ConnectAsync())
        {
            serverId = client.ServerInfo!.ServerId;
            await client.DeclareQueueAsync(topic, new QueueOptions { Partitions = 2 });
            await using var reliable = client.CreateReliablePublisher(topic, options);
            before = [.. await Task.WhenAll(Enumerable.Range(0, 3).Select(i => reliable.PublishAsync(OutgoingMessage.FromText($"m{i}").WithKey($"k{i}"))))];
            await client.CreatePublisher(topic).PublishAsync(OutgoingMessage.FromText("plain").WithKey("k0"));
        }

        await broker.RestartAsync();

        await using (var client = await broker.ConnectAsync())
        {
            Assert.Equal(serverId, client.ServerInfo!.ServerId);

            // The same producer id and sequences again: the broker remembers them across the restart.
            await using var reliable = client.CreateReliablePublisher(topic, options);
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(before[i] with { Duplicate = true }, await reliable.PublishAsync(OutgoingMessage.FromText($"m{i}").WithKey($"k{i}")));
            }

            var fresh = await reliable.PublishAsync(OutgoingMessage.FromText("m3").WithKey("k3"));
            Assert.False(fresh.Duplicate);

            // Every confirmed message is still there, once.
            await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { AckMode = AckMode.Auto });
            var received = await RealBroker.ReceiveManyAsync(subscription, 5);
            Assert.Equal(["m0", "m1", "m2", "m3", "plain"], received.Select(d => d.Text).Order(StringComparer.Ordinal));
            Assert.Null(await RealBroker.NextAsync(subscription, TimeSpan.FromMilliseconds(300)));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_broker_shutdown_ends_subscriptions_with_server_shutdown_and_the_client_reconnects_once_it_is_back()
    {
        await using var broker = await SinewBrokerFixture.StartAsync();
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("shutdown");
        await client.DeclareQueueAsync(topic, new QueueOptions { Partitions = 2 });
        var publisher = client.CreatePublisher(topic);
        await publisher.PublishAsync(OutgoingMessage.FromText("before"));
        var subscription = await client.SubscribeAsync(topic);
        var iterating = ConsumeUntilEndAsync(subscription);

        await broker.StopAsync();
        var ended = await Assert.ThrowsAsync<SubscriptionEndedException>(() => iterating.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(SubscriptionEndReason.ServerShutdown, ended.Reason);
        Assert.Equal("server_shutdown", ended.Code);
        Assert.True(ended.IsRetryable);
        Assert.Equal(SubscriptionEndReason.ServerShutdown, subscription.EndReason);
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client saw the connection close");

        // While the broker is down, an operation fails after the reconnection policy's attempts.
        await Assert.ThrowsAsync<ConnectionException>(() => client.DeclareQueueAsync(topic));

        // Back on the same port: the same client reconnects on its next operation, and the stored message is there.
        await broker.StartAgainAsync();
        await using var again = await client.SubscribeAsync(topic);
        Assert.True(client.IsConnected);
        var delivery = await RealBroker.ReceiveAsync(again);
        Assert.Equal("before", delivery.Text);
        await delivery.AckAsync();
        await publisher.PublishAsync(OutgoingMessage.FromText("after"));
        Assert.Equal("after", (await RealBroker.ReceiveAsync(again)).Text);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_broker_that_requires_credentials_refuses_wrong_or_missing_ones_with_unauthorized()
    {
        await using var broker = await SinewBrokerFixture.StartAsync("--user", "alice:s3cret");

        var wrong = await Assert.ThrowsAsync<BrokerException>(() =>
            broker.ConnectAsync(o => o.Credentials = SinewCredentials.Plain("alice", "not-the-password")));
        Assert.Equal("unauthorized", wrong.Code);
        Assert.Equal(6, wrong.BrokerCode);
        Assert.False(wrong.IsRetryable);

        Assert.Equal("unauthorized", (await Assert.ThrowsAsync<BrokerException>(() => broker.ConnectAsync())).Code);

        await using var client = await broker.ConnectAsync(o => o.Credentials = SinewCredentials.Plain("alice", "s3cret"));
        Assert.True((await client.DeclareQueueAsync(RealBroker.UniqueTopic("auth"))).Created);
    }

    /// <summary>Takes deliveries (leaving them unsettled) until iteration ends, and rethrows how it ended.</summary>
    private static Task ConsumeUntilEndAsync(Subscription subscription) => Task.Run(async () =>
    {
        await foreach (var delivery in subscription)
        {
            Assert.NotNull(delivery);
        }
    });
}
