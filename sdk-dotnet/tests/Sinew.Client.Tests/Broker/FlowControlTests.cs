// Flow control on deliveries, against the real broker: an auto-ack consumer that falls behind stops the client
// reading its socket, so the broker's pushes wait in TCP instead of in memory; a request waiting for its reply lifts
// the pause until it arrives. (A loop awaiting a confirmed publish per auto-ack delivery is in ConsumingTests.)
using Sinew.Client.Connection;
using Sinew.Client.Core;
using Sinew.Client.Routing;
using Sinew.Client.Tests.Fixtures;
using Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Broker;

[Collection(ConsumingBroker.Name)]
public class FlowControlTests(SinewBrokerFixture broker)
{
    private const int Backlog = 3000;
    private const int Prefetch = 100;

    [Fact(Timeout = 30_000)]
    public async Task A_slow_auto_ack_consumer_holds_a_bounded_number_of_deliveries_and_still_receives_everything_in_order()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("slow-consumer");
        await client.DeclareQueueAsync(topic);
        await PublishBacklogAsync(client, topic, Backlog);

        await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { AckMode = AckMode.Auto, Prefetch = Prefetch });

        // The broker pushes the backlog towards the socket as fast as it goes; the client must not read it all into memory.
        await TestClients.EventuallyAsync(() => client.CurrentConnection!.IsReadingPaused, "reading paused");
        await Task.Delay(200);
        Assert.InRange(subscription.Buffered, Prefetch, 4 * Prefetch);
        Assert.True(client.CurrentConnection!.IsReadingPaused);

        var received = await TestClients.TakeAsync(subscription, Backlog, TimeSpan.FromSeconds(15));
        Assert.Equal(Enumerable.Range(0, Backlog).Select(i => (ulong)i), received.Select(d => d.Offset));
        await TestClients.EventuallyAsync(() => !client.CurrentConnection!.IsReadingPaused, "reading resumed once the buffer drained");
    }

    [Fact(Timeout = 30_000)]
    public async Task A_confirmed_publish_issued_while_the_buffer_is_full_completes_and_reading_pauses_again()
    {
        // A reply held back behind the paused socket would only end with the request timeout.
        await using var client = await broker.ConnectAsync(o => o.RequestTimeout = TimeSpan.FromSeconds(10));
        var orders = RealBroker.UniqueTopic("paused-orders");
        var audit = RealBroker.UniqueTopic("paused-audit");
        await client.DeclareQueueAsync(orders);
        await client.DeclareQueueAsync(audit);
        await PublishBacklogAsync(client, orders, 1000);
        await using var subscription = await client.SubscribeAsync(orders, new SubscribeOptions { AckMode = AckMode.Auto, Prefetch = 10 });
        await TestClients.EventuallyAsync(() => client.CurrentConnection!.IsReadingPaused, "reading paused");

        var receipt = await client.CreatePublisher(audit).PublishAsync(OutgoingMessage.FromText("x")).WaitAsync(TimeSpan.FromSeconds(3));
        Assert.Equal(0UL, receipt.Offset);

        // The reply is in; the consumer is still behind, so the socket is held again.
        await TestClients.EventuallyAsync(() => client.CurrentConnection!.IsReadingPaused, "reading paused again");
        var received = await TestClients.TakeAsync(subscription, 1000, TimeSpan.FromSeconds(10));
        Assert.Equal(1000, received.Select(d => d.Offset).Distinct().Count());
    }

    [Fact(Timeout = 30_000)]
    public async Task Manual_ack_subscriptions_never_pause_reading()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("manual-flow");
        await client.DeclareQueueAsync(topic);
        await PublishBacklogAsync(client, topic, 50);
        await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { Prefetch = 5 });
        await TestClients.EventuallyAsync(() => subscription.Buffered == 5, "prefetch deliveries arrived");
        await Task.Delay(100);
        Assert.False(client.CurrentConnection!.IsReadingPaused);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_consumer_that_drains_the_buffer_while_the_read_loop_pauses_reading_leaves_reading_running()
    {
        await using var client = await broker.ConnectAsync();
        var reading = new ReadPauseWithConsumerInBetween();
        var fanIn = new FanInSubscription(client.Core, reading, new QueueKey("orders", null), AckMode.Auto, prefetch: 4, brokerSubscriptions: 1);
        var source = new PartitionSubscription(fanIn, client.CurrentConnection!);
        var subscription = new Subscription(fanIn);
        await using var deliveries = subscription.GetAsyncEnumerator();

        // The consumer, on another thread in real life, takes half of the full buffer just as the read loop pauses
        // reading and before the connection has recorded the pause.
        reading.BeforeRecording = () =>
        {
            for (var i = 0; i < 2; i++)
            {
                var next = deliveries.MoveNextAsync();
                Assert.True(next.IsCompletedSuccessfully && next.Result, "a buffered delivery is taken at once");
            }
        };

        // What the read loop does with a Deliver of four messages.
        for (var offset = 0UL; offset < 4; offset++)
        {
            fanIn.Enqueue(new ReceivedMessage(source, new DeliveredMessage(offset + 1, 0, offset, 1, 0, new byte[] { 1 }, null, null)));
        }

        Assert.Null(reading.BeforeRecording);
        Assert.Equal(2, subscription.Buffered);

        // Half the threshold is left, so nothing may hold the socket: the consumer will take these two and then wait
        // for deliveries that only a running read loop can bring.
        Assert.Empty(reading.Holders);
        await subscription.DisposeAsync();
    }

    private static async Task PublishBacklogAsync(SinewClient client, string topic, int count)
    {
        var payload = new byte[1024];
        var publisher = client.CreatePublisher(topic);
        for (var start = 0; start < count; start += 500)
        {
            await publisher.PublishBatchAsync([.. Enumerable.Range(start, Math.Min(500, count - start)).Select(_ => new OutgoingMessage(payload))]);
        }
    }

    /// <summary>A connection's pause bookkeeping that lets a consumer run between a pause being asked for and being
    /// recorded, which on a busy machine the thread scheduler does now and then.</summary>
    private sealed class ReadPauseWithConsumerInBetween : IReadPause
    {
        public Action? BeforeRecording { get; set; }

        public HashSet<object> Holders { get; } = [];

        public void PauseReading(object holder)
        {
            var consumer = BeforeRecording;
            BeforeRecording = null;
            consumer?.Invoke();
            Holders.Add(holder);
        }

        public void ResumeReading(object holder) => Holders.Remove(holder);
    }
}
