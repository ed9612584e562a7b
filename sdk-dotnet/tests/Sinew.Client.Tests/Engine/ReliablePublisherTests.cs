// The reliable publisher: producer id and sequence on every message, retries of retryable failures (made safe
// by the broker's dedup), and bounded attempts.
using Sinew.Client.Tests.Fakes;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Engine;

public class ReliablePublisherTests
{
    [Fact(Timeout = 10_000)]
    public async Task Messages_carry_the_producer_id_and_consecutive_sequences()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        var publisher = client.CreateReliablePublisher("orders", new ReliablePublisherOptions { ProducerId = "billing-1", FirstSequence = 41 });
        await publisher.PublishAsync(OutgoingMessage.FromText("a"));
        await publisher.PublishBatchAsync([OutgoingMessage.FromText("b"), OutgoingMessage.FromText("c")]);
        await publisher.PublishAsync(OutgoingMessage.FromText("d"));

        var stamped = broker.Received.SelectMany(f => f.Message switch
        {
            Wire.Publish p => [p.Message],
            Wire.PublishBatch b => b.Messages,
            _ => [],
        }).Select(m => (m.ProducerId, m.Sequence)).ToList();
        Assert.Equal([("billing-1", 41UL), ("billing-1", 42UL), ("billing-1", 43UL), ("billing-1", 44UL)], stamped.Select(s => (s.ProducerId, s.Sequence!.Value)));
        Assert.Equal(45UL, publisher.NextSequence);
    }

    [Fact(Timeout = 10_000)]
    public async Task Without_an_explicit_id_each_publisher_gets_its_own_random_producer_id()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        var first = client.CreateReliablePublisher("orders");
        var second = client.CreateReliablePublisher("orders");
        Assert.NotEqual(first.ProducerId, second.ProducerId);
        Assert.Equal(32, first.ProducerId.Length);
        Assert.Equal(1UL, first.NextSequence);
    }

    [Fact(Timeout = 10_000)]
    public async Task Retryable_broker_errors_are_retried_with_the_same_sequence_until_confirmed()
    {
        var refusals = 2;
        await using var broker = new FakeBroker();
        broker.Intercept = f =>
        {
            if (f.Message is not Wire.Publish || Interlocked.Decrement(ref refusals) < 0)
            {
                return false;
            }

            f.Connection.Send(new Wire.Error(13, true, "partition recovering"), f.RequestId);
            return true;
        };
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        var publisher = client.CreateReliablePublisher("orders", new ReliablePublisherOptions { InitialRetryDelay = TimeSpan.FromMilliseconds(10) });

        var receipt = await publisher.PublishAsync(OutgoingMessage.FromText("x"));
        Assert.False(receipt.Duplicate);
        var attempts = broker.ReceivedOf<Wire.Publish>();
        Assert.Equal(3, attempts.Count);
        Assert.Single(attempts.Select(p => p.Message.Sequence).Distinct());
        Assert.Single(broker.Stored("orders"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_failure_that_is_not_retryable_is_raised_at_once()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        var publisher = client.CreateReliablePublisher("nowhere");
        var error = await Assert.ThrowsAsync<BrokerException>(() => publisher.PublishAsync(OutgoingMessage.FromText("x")));
        Assert.Equal("not_found", error.Code);
        Assert.Single(broker.ReceivedOf<Wire.Publish>());
    }

    [Fact(Timeout = 10_000)]
    public async Task Retries_stop_after_max_attempts_with_the_last_failure()
    {
        await using var broker = new FakeBroker();
        broker.Intercept = f =>
        {
            if (f.Message is not Wire.Publish)
            {
                return false;
            }

            f.Connection.Send(new Wire.Error(12, true, "dedup window full"), f.RequestId);
            return true;
        };
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        var publisher = client.CreateReliablePublisher("orders",
            new ReliablePublisherOptions { MaxAttempts = 3, InitialRetryDelay = TimeSpan.FromMilliseconds(5) });
        var error = await Assert.ThrowsAsync<BrokerException>(() => publisher.PublishAsync(OutgoingMessage.FromText("x")));
        Assert.Equal("resource_exhausted", error.Code);
        Assert.Equal(3, broker.ReceivedOf<Wire.Publish>().Count);
    }

    [Fact(Timeout = 10_000)]
    public async Task Disposing_stops_retries_under_way()
    {
        await using var broker = new FakeBroker();
        broker.Intercept = f =>
        {
            if (f.Message is not Wire.Publish)
            {
                return false;
            }

            f.Connection.Send(new Wire.Error(13, true, "unavailable"), f.RequestId);
            return true;
        };
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        var publisher = client.CreateReliablePublisher("orders", new ReliablePublisherOptions { InitialRetryDelay = TimeSpan.FromSeconds(5), MaxRetryDelay = TimeSpan.FromSeconds(5) });
        var publishing = publisher.PublishAsync(OutgoingMessage.FromText("x"));
        await broker.WaitForAsync<Wire.Publish>();
        await publisher.DisposeAsync();
        await Assert.ThrowsAsync<ClientClosedException>(() => publishing);
    }
}
