// The client registered with AddSinewClient, end to end on the real broker: the resolved singleton connects on first
// use, declares, publishes and consumes; disposing the container closes it, and the broker then hands the message it
// held to another consumer. Logging through the container is in DependencyInjectionOnRealBrokerTests.cs.
using Microsoft.Extensions.DependencyInjection;
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(ConsumingBroker.Name)]
public class DependencyInjectionRoundTripOnRealBrokerTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 30_000)]
    public async Task The_registered_client_works_end_to_end_and_closing_the_container_returns_what_it_held()
    {
        var topic = RealBroker.UniqueTopic("di");
        var services = new ServiceCollection();
        services.AddSinewClient(o =>
        {
            o.Endpoints = [broker.ProtocolEndpoint];
            o.ClientName = "di-round-trip";
        });
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        Delivery held;
        try
        {
            var client = provider.GetRequiredService<SinewClient>();
            Assert.False(client.IsConnected);
            Assert.True((await client.DeclareQueueAsync(topic, new QueueOptions { Partitions = 2 })).Created);
            Assert.True(client.IsConnected);

            var publisher = client.CreatePublisher(topic);
            var receipts = await publisher.PublishBatchAsync([OutgoingMessage.FromText("first"), OutgoingMessage.FromText("second")]);
            Assert.Equal([0, 1], receipts.Select(r => r.Partition));

            var subscription = await client.SubscribeAsync(topic);
            var deliveries = await RealBroker.ReceiveManyAsync(subscription, 2);
            Assert.Equal(["first", "second"], deliveries.Select(d => d.Text).Order());
            await deliveries.Single(d => d.Text == "first").AckAsync();
            held = deliveries.Single(d => d.Text == "second");
            Assert.Same(client, provider.GetRequiredService<SinewClient>());
        }
        finally
        {
            await provider.DisposeAsync();
        }

        // The container closed the client: its delivery can no longer be settled, and the broker took it back.
        Assert.Throws<ClientClosedException>(() => { _ = held.AckAsync(); });
        await using var other = await broker.ConnectAsync();
        await using var again = await other.SubscribeAsync(topic);
        var redelivered = await RealBroker.ReceiveAsync(again);
        Assert.Equal(("second", 2), (redelivered.Text, redelivered.Attempt));
        await redelivered.AckAsync();
        Assert.Null(await RealBroker.NextAsync(again, TimeSpan.FromMilliseconds(300)));
    }
}
