// Closing a publisher, the same in every client: later publishes fail with ClientClosedException, closing waits for
// the confirmations still expected, a reliable publisher's retry wait stops, and the client stays open. A fault proxy
// holds the broker's answers back so that a confirmation is certainly still on its way.
using Sinew.Client.Tests.Fixtures;
using Sinew.Testing;

namespace Sinew.Client.Tests.Broker;

[Collection(FaultyNetwork.Name)]
public class PublisherCloseThroughProxyTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 60_000)]
    public async Task Closing_waits_for_the_confirmations_still_expected_then_refuses_publishes()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        await using var client = await FaultyNetwork.ConnectAsync(proxy, o => o.RequestTimeout = TimeSpan.FromSeconds(20));
        var topic = RealBroker.UniqueTopic("publisher-close");
        await client.DeclareQueueAsync(topic);
        var publisher = client.CreatePublisher(topic);

        await proxy.StallAsync(ProxyDirection.Down);
        var confirmation = await publisher.PublishWithConfirmationAsync(OutgoingMessage.FromText("pending"));
        var closing = publisher.CloseAsync();
        Assert.False(confirmation.IsCompleted);
        Assert.False(closing.IsCompleted);
        await Assert.ThrowsAsync<ClientClosedException>(() => publisher.PublishAsync(OutgoingMessage.FromText("late")));

        await proxy.ResumeAsync(ProxyDirection.Down);
        await closing;
        Assert.True(confirmation.IsCompleted);
        Assert.Equal(0UL, (await confirmation).Offset);
        await Assert.ThrowsAsync<ClientClosedException>(() => publisher.PublishAsync(OutgoingMessage.FromText("later")));
        Assert.Equal(1UL, (await client.CreatePublisher(topic).PublishAsync(OutgoingMessage.FromText("other"))).Offset);
    }

    [Fact(Timeout = 60_000)]
    public async Task Closing_a_reliable_publisher_stops_a_retry_waiting_for_its_next_attempt()
    {
        await using var proxy = await FaultProxy.StartAsync(broker.ProtocolEndpoint);
        await using var client = await FaultyNetwork.ConnectAsync(proxy);
        var topic = RealBroker.UniqueTopic("reliable-close");
        await client.DeclareQueueAsync(topic);
        var publisher = client.CreateReliablePublisher(topic, new ReliablePublisherOptions
        {
            InitialRetryDelay = TimeSpan.FromSeconds(30), MaxRetryDelay = TimeSpan.FromSeconds(30),
        });

        // The first attempt is cut off with its connection; the retry then waits 30 s.
        await proxy.StallAsync(ProxyDirection.Down);
        var before = await FaultyNetwork.BytesReadAsync(proxy, ProxyDirection.Up);
        var publishing = publisher.PublishAsync(OutgoingMessage.FromText("retried"));
        await FaultyNetwork.WaitForBytesReadAsync(proxy, ProxyDirection.Up, before, "the publish was written");
        await proxy.CutAsync();
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client noticed the cut");

        await publisher.CloseAsync();
        // Abandoned whether the attempt was still waiting for its answer or already waiting to retry.
        await Assert.ThrowsAsync<ClientClosedException>(() => publishing);
        await Assert.ThrowsAsync<ClientClosedException>(() => publisher.PublishAsync(OutgoingMessage.FromText("late")));
    }
}
