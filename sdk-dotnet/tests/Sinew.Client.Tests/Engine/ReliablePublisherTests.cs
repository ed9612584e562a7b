// The reliable publisher against the scripted fake: producer id and sequence on every message, retries of retryable
// failures (made safe by the broker's dedup), and bounded attempts. The dedup itself, and a publish retried after a
// lost confirmation, run against the real broker (Broker/PublishingTests.cs, Broker/FaultsThroughProxyTests.cs).
using Sinew.Client.Tests.Fakes;
using Sinew.Protocol.Errors;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Engine;

public class ReliablePublisherTests
{
    [Fact(Timeout = 10_000)]
    public async Task Messages_carry_the_producer_id_and_consecutive_sequences()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        broker.AnswerInTurn<Wire.Publish>(ScriptedReplies.PublishOk((0, 0)), ScriptedReplies.PublishOk((0, 3)));
        broker.Answer<Wire.PublishBatch>(_ => ScriptedReplies.PublishOk((0, 1), (0, 2)));
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
    public async Task Retryable_broker_errors_are_retried_with_the_same_sequence_until_confirmed()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        var recovering = ScriptedReplies.Error(ErrorCode.Unavailable, true, "partition recovering");
        broker.AnswerInTurn<Wire.Publish>(recovering, recovering, ScriptedReplies.PublishOk((0, 7)));
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        var publisher = client.CreateReliablePublisher("orders", new ReliablePublisherOptions { InitialRetryDelay = TimeSpan.FromMilliseconds(10) });

        var receipt = await publisher.PublishAsync(OutgoingMessage.FromText("x"));
        Assert.False(receipt.Duplicate);
        var attempts = broker.ReceivedOf<Wire.Publish>();
        Assert.Equal(3, attempts.Count);
        Assert.Single(attempts.Select(p => p.Message.Sequence).Distinct());

        // The receipt is the one confirmation, of the third attempt.
        Assert.Equal(new PublishReceipt(0, 7, false), receipt);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_failure_that_is_not_retryable_is_raised_at_once()
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.TopologyRequest>(_ => ScriptedReplies.Topology());
        broker.Answer<Wire.Publish>(p => ScriptedReplies.Error(ErrorCode.NotFound, false, $"queue {p.Topic} does not exist"));
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
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        broker.Answer<Wire.Publish>(_ => ScriptedReplies.Error(ErrorCode.ResourceExhausted, true, "dedup window full"));
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
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        broker.Answer<Wire.Publish>(_ => ScriptedReplies.Error(ErrorCode.Unavailable, true, "unavailable"));
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        var publisher = client.CreateReliablePublisher("orders", new ReliablePublisherOptions { InitialRetryDelay = TimeSpan.FromSeconds(5), MaxRetryDelay = TimeSpan.FromSeconds(5) });
        var publishing = publisher.PublishAsync(OutgoingMessage.FromText("x"));
        await broker.WaitForAsync<Wire.Publish>();
        await publisher.DisposeAsync();
        await Assert.ThrowsAsync<ClientClosedException>(() => publishing);
    }
}
