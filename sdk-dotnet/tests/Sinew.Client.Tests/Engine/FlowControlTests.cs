// Flow control on deliveries: an auto-ack consumer that falls behind stops the client reading its socket, so the
// broker's pushes wait in TCP instead of in memory; a request waiting for its reply lifts the pause until it arrives.
using Sinew.Client.Tests.Fakes;

namespace Sinew.Client.Tests.Engine;

public class FlowControlTests
{
    private const int Backlog = 3000;
    private const int Prefetch = 100;

    [Fact(Timeout = 20_000)]
    public async Task A_slow_auto_ack_consumer_holds_a_bounded_number_of_deliveries_and_still_receives_everything_in_order()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        await PublishBacklogAsync(client, "orders", Backlog);

        await using var subscription = await client.SubscribeAsync("orders", new SubscribeOptions { AckMode = AckMode.Auto, Prefetch = Prefetch });

        // The fake has pushed the whole backlog towards the socket; the client must not have read it all into memory.
        await TestClients.EventuallyAsync(() => broker.Stored("orders").All(m => m.Done), "the broker pushed every message");
        await Task.Delay(200);
        Assert.InRange(subscription.Buffered, Prefetch, 4 * Prefetch);
        Assert.True(client.CurrentConnection!.IsReadingPaused);

        var received = await TestClients.TakeAsync(subscription, Backlog, TimeSpan.FromSeconds(15));
        Assert.Equal(Enumerable.Range(0, Backlog).Select(i => (ulong)i), received.Select(d => d.Offset));
        await TestClients.EventuallyAsync(() => !client.CurrentConnection!.IsReadingPaused, "reading resumed once the buffer drained");
    }

    [Fact(Timeout = 20_000)]
    public async Task A_confirmed_publish_issued_while_the_buffer_is_full_completes_and_reading_pauses_again()
    {
        await using var broker = new FakeBroker();
        // A reply held back behind the paused socket would only end with the request timeout.
        await using var client = await TestClients.ConnectAsync(broker, o => o.RequestTimeout = TimeSpan.FromSeconds(10));
        await client.DeclareQueueAsync("orders");
        await client.DeclareQueueAsync("audit");
        await PublishBacklogAsync(client, "orders", 1000);
        await using var subscription = await client.SubscribeAsync("orders", new SubscribeOptions { AckMode = AckMode.Auto, Prefetch = 10 });
        await TestClients.EventuallyAsync(() => client.CurrentConnection!.IsReadingPaused, "reading paused");

        var receipt = await client.CreatePublisher("audit").PublishAsync(OutgoingMessage.FromText("x")).WaitAsync(TimeSpan.FromSeconds(3));
        Assert.Equal(0UL, receipt.Offset);

        // The reply is in; the consumer is still behind, so the socket is held again.
        await TestClients.EventuallyAsync(() => client.CurrentConnection!.IsReadingPaused, "reading paused again");
        var received = await TestClients.TakeAsync(subscription, 1000, TimeSpan.FromSeconds(10));
        Assert.Equal(1000, received.Select(d => d.Offset).Distinct().Count());
    }

    [Fact(Timeout = 20_000)]
    public async Task A_loop_that_awaits_a_confirmed_publish_per_auto_ack_delivery_keeps_going()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker, o => o.RequestTimeout = TimeSpan.FromSeconds(10));
        await client.DeclareQueueAsync("orders", new QueueOptions { Partitions = 4 });
        await client.DeclareQueueAsync("forwarded");
        await PublishBacklogAsync(client, "orders", 1000);
        var forward = client.CreatePublisher("forwarded");

        await using var subscription = await client.SubscribeAsync("orders", new SubscribeOptions { AckMode = AckMode.Auto, Prefetch = 2 });
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var forwarded = 0;
        await foreach (var delivery in subscription.WithCancellation(cancel.Token))
        {
            await forward.PublishAsync(new OutgoingMessage(delivery.Payload), cancel.Token).WaitAsync(TimeSpan.FromSeconds(3), cancel.Token);
            if (++forwarded == 100)
            {
                break;
            }
        }

        Assert.Equal(100UL, (await forward.PublishAsync(OutgoingMessage.FromText("last"))).Offset);
    }

    [Fact(Timeout = 20_000)]
    public async Task Manual_ack_subscriptions_never_pause_reading()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        await PublishBacklogAsync(client, "orders", 50);
        await using var subscription = await client.SubscribeAsync("orders", new SubscribeOptions { Prefetch = 5 });
        await TestClients.EventuallyAsync(() => subscription.Buffered == 5, "prefetch deliveries arrived");
        await Task.Delay(100);
        Assert.False(client.CurrentConnection!.IsReadingPaused);
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
}
