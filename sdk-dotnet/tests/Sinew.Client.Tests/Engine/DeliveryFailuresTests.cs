// What a delivery says of the message's failures: Failures, MaxRetries and IsLastAttempt as the broker's Deliver
// frame carries them, including frames from a broker that sends neither field. That a real broker counts them as
// the specification says runs against it (Broker/FailureCountingOnRealBrokerTests.cs).
using Sinew.Client.Tests.Fakes;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Engine;

public class DeliveryFailuresTests
{
    [Fact(Timeout = 10_000)]
    public async Task A_delivery_maps_failures_and_max_retries_and_is_the_last_attempt_once_failures_reach_max_retries()
    {
        var deliveries = await DeliverAsync(
            ScriptedReplies.Message(1, "first", failures: 0, maxRetries: 3),
            ScriptedReplies.Message(2, "one to go", attempt: 3, failures: 2, maxRetries: 3),
            ScriptedReplies.Message(3, "last", attempt: 5, failures: 3, maxRetries: 3),
            ScriptedReplies.Message(4, "no retries", failures: 0, maxRetries: 0),
            ScriptedReplies.Message(5, "past the budget", attempt: 9, failures: 7, maxRetries: 3),
            ScriptedReplies.Message(6, "large", failures: uint.MaxValue, maxRetries: uint.MaxValue));

        Assert.Equal([0, 2, 3, 0, 7, int.MaxValue], deliveries.Select(d => d.Failures));
        Assert.Equal([3, 3, 3, 0, 3, int.MaxValue], deliveries.Select(d => d.MaxRetries));
        Assert.Equal([false, false, true, true, true, true], deliveries.Select(d => d.IsLastAttempt));

        // Attempts count deliveries, failures only failures: the two are reported apart.
        Assert.Equal([1, 3, 5, 1, 9, 1], deliveries.Select(d => d.Attempt));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_delivery_from_a_broker_that_sends_neither_field_has_no_failures_no_max_retries_and_is_never_the_last_attempt()
    {
        var deliveries = await DeliverAsync(
            ScriptedReplies.Message(1, "older broker", attempt: 4),
            ScriptedReplies.Message(2, "failures only", failures: 6),
            ScriptedReplies.Message(3, "max retries only", maxRetries: 0));

        Assert.Equal([0, 6, 0], deliveries.Select(d => d.Failures));
        Assert.Equal([null, null, 0], deliveries.Select(d => d.MaxRetries));

        // Without max retries nobody knows which attempt is the last; with it, absent failures count as none.
        Assert.Equal([false, false, true], deliveries.Select(d => d.IsLastAttempt));
    }

    /// <summary>Pushes <paramref name="messages"/> to a manual-ack subscription on the fake broker and takes them.</summary>
    private static async Task<List<Delivery>> DeliverAsync(params Wire.DeliveredMessage[] messages)
    {
        await using var broker = new FakeBroker();
        broker.Answer<Wire.TopologyRequest>(_ => ScriptedReplies.Topology(ScriptedReplies.Queue("work", 1)));
        broker.Answer<Wire.Subscribe>(ScriptedReplies.SubscribeOk);
        broker.Answer<Wire.Unsubscribe>(_ => Wire.Ok.Instance);
        await using var client = await TestClients.ConnectAsync(broker);
        await using var subscription = await client.SubscribeAsync("work");
        broker.Connections[0].Send(ScriptedReplies.Deliver(ScriptedReplies.SubscriptionOf(0), messages));
        return await TestClients.TakeAsync(subscription, messages.Length);
    }
}
