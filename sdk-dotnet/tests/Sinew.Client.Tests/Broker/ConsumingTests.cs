// Against the real broker: settling deliveries (ack, fail, retry, delayed retry, lease extension), dead-lettering,
// leases, prefetch and automatic acknowledgement.
using System.Diagnostics;
using System.Globalization;
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(ConsumingBroker.Name)]
public class ConsumingTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 20_000)]
    public async Task An_acknowledged_message_is_gone_for_every_later_subscription()
    {
        await using var client = await broker.ConnectAsync();
        var topic = await DeclareWithMessagesAsync(client, "ack", new QueueOptions(), "once");

        await using (var subscription = await client.SubscribeAsync(topic))
        {
            var delivery = await RealBroker.ReceiveAsync(subscription);
            Assert.Equal((0UL, 1), (delivery.Offset, delivery.Attempt));
            await delivery.AckAsync();
            Assert.True(delivery.IsSettled);
        }

        await using var again = await client.SubscribeAsync(topic);
        Assert.Null(await RealBroker.NextAsync(again, TimeSpan.FromMilliseconds(300)));
    }

    [Fact(Timeout = 20_000)]
    public async Task A_failed_message_is_dead_lettered_to_the_queue_with_its_reason_and_where_it_came_from()
    {
        await using var client = await broker.ConnectAsync();
        var deadLetters = RealBroker.UniqueTopic("fail-dlq");
        await client.DeclareQueueAsync(deadLetters);
        var topic = RealBroker.UniqueTopic("fail");
        await client.DeclareQueueAsync(topic, new QueueOptions { DeadLetter = DeadLetterPolicy.ToQueue(deadLetters) });
        await client.CreatePublisher(topic).PublishAsync(OutgoingMessage.FromJson(new { Order = 7 }).WithHeader("tenant", "acme"));

        await using var subscription = await client.SubscribeAsync(topic);
        var delivery = await RealBroker.ReceiveAsync(subscription);
        await delivery.FailAsync("missing field sku");

        await using var dead = await client.SubscribeAsync(deadLetters);
        var copy = await RealBroker.ReceiveAsync(dead);
        Assert.Equal(delivery.Payload.ToArray(), copy.Payload.ToArray());
        Assert.Equal("application/json", copy.ContentType);
        Assert.Equal("acme", copy.Headers["tenant"]);
        Assert.Equal("terminal_nack", copy.Headers["sinew.dlq.reason"]);
        Assert.Equal("missing field sku", copy.Headers["sinew.dlq.error"]);
        Assert.Equal(topic, copy.Headers["sinew.dlq.source_topic"]);
        Assert.Equal("0", copy.Headers["sinew.dlq.source_partition"]);
        Assert.Equal("0", copy.Headers["sinew.dlq.source_offset"]);
        Assert.Equal("1", copy.Headers["sinew.dlq.attempts"]);
        Assert.InRange(long.Parse(copy.Headers["sinew.dlq.dead_lettered_at_ms"], CultureInfo.InvariantCulture),
            DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());
        await copy.AckAsync();

        // The original is gone from its queue.
        Assert.Null(await RealBroker.NextAsync(subscription, TimeSpan.FromMilliseconds(200)));
    }

    [Fact(Timeout = 20_000)]
    public async Task A_retry_redelivers_the_same_message_with_a_higher_attempt()
    {
        await using var client = await broker.ConnectAsync();
        var topic = await DeclareWithMessagesAsync(client, "retry", new QueueOptions(), "again");
        await using var subscription = await client.SubscribeAsync(topic);

        var first = await RealBroker.ReceiveAsync(subscription);
        await first.RetryAsync();
        var second = await RealBroker.ReceiveAsync(subscription);
        Assert.Equal((first.Offset, 2), (second.Offset, second.Attempt));
        Assert.NotEqual(first.DeliveryId, second.DeliveryId);
        await second.AckAsync();
    }

    [Fact(Timeout = 20_000)]
    public async Task A_delayed_retry_is_not_redelivered_before_its_delay()
    {
        await using var client = await broker.ConnectAsync();
        var topic = await DeclareWithMessagesAsync(client, "retry-after", new QueueOptions(), "later");
        await using var subscription = await client.SubscribeAsync(topic);

        var first = await RealBroker.ReceiveAsync(subscription);
        var clock = Stopwatch.StartNew();
        await first.RetryAfterAsync(TimeSpan.FromMilliseconds(500));
        var second = await RealBroker.ReceiveAsync(subscription);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(490), $"redelivered after {clock.Elapsed}");
        Assert.Equal(2, second.Attempt);
        await second.AckAsync();
    }

    [Fact(Timeout = 20_000)]
    public async Task Retrying_past_max_retries_dead_letters_with_reason_retries_exhausted_and_the_last_retry_reason()
    {
        await using var client = await broker.ConnectAsync();
        var deadLetters = RealBroker.UniqueTopic("retries-dlq");
        await client.DeclareQueueAsync(deadLetters);
        var topic = await DeclareWithMessagesAsync(client, "retries",
            new QueueOptions { MaxRetries = 1, DeadLetter = DeadLetterPolicy.ToQueue(deadLetters) }, "flaky");
        await using var subscription = await client.SubscribeAsync(topic);

        await (await RealBroker.ReceiveAsync(subscription)).RetryAfterAsync(TimeSpan.FromMilliseconds(1), "upstream timed out");
        var last = await RealBroker.ReceiveAsync(subscription);
        Assert.Equal(2, last.Attempt);
        await last.RetryAsync("upstream refused");
        Assert.Null(await RealBroker.NextAsync(subscription, TimeSpan.FromMilliseconds(300)));

        await using var dead = await client.SubscribeAsync(deadLetters);
        var copy = await RealBroker.ReceiveAsync(dead);
        Assert.Equal("flaky", copy.Text);
        Assert.Equal("retries_exhausted", copy.Headers["sinew.dlq.reason"]);
        Assert.Equal("2", copy.Headers["sinew.dlq.attempts"]);
        Assert.Equal("upstream refused", copy.Headers["sinew.dlq.error"]);
        await copy.AckAsync();
    }

    [Fact(Timeout = 20_000)]
    public async Task A_delivery_whose_lease_runs_out_is_redelivered_and_its_late_ack_is_stale()
    {
        await using var client = await broker.ConnectAsync();
        var topic = await DeclareWithMessagesAsync(client, "lease", new QueueOptions { Lease = TimeSpan.FromMilliseconds(300) }, "slow");

        // The lease starts when the broker delivers, which is after the clock starts here.
        var clock = Stopwatch.StartNew();
        await using var subscription = await client.SubscribeAsync(topic);
        var first = await RealBroker.ReceiveAsync(subscription);
        var second = await RealBroker.ReceiveAsync(subscription);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(290), $"redelivered after {clock.Elapsed}");
        Assert.Equal((first.Offset, 2), (second.Offset, second.Attempt));

        var stale = await Assert.ThrowsAsync<BrokerException>(() => first.AckAsync());
        Assert.Equal("stale_delivery", stale.Code);
        Assert.Equal(10, stale.BrokerCode);
        Assert.False(stale.IsRetryable);
        await second.AckAsync();
    }

    [Fact(Timeout = 20_000)]
    public async Task Extending_the_lease_keeps_the_delivery_past_its_original_deadline()
    {
        await using var client = await broker.ConnectAsync();
        var topic = await DeclareWithMessagesAsync(client, "extend", new QueueOptions { Lease = TimeSpan.FromMilliseconds(800) }, "long task");
        await using var subscription = await client.SubscribeAsync(topic);

        var delivery = await RealBroker.ReceiveAsync(subscription);
        await delivery.ExtendLeaseAsync(TimeSpan.FromSeconds(3));

        // Well past the original 800 ms lease, the message has not come back.
        Assert.Null(await RealBroker.NextAsync(subscription, TimeSpan.FromMilliseconds(1200)));
        await delivery.ExtendLeaseAsync();
        await delivery.AckAsync();
        await Assert.ThrowsAsync<InvalidArgumentException>(() => delivery.ExtendLeaseAsync());
    }

    [Fact(Timeout = 20_000)]
    public async Task A_subscription_never_holds_more_unsettled_deliveries_than_its_prefetch()
    {
        await using var client = await broker.ConnectAsync();
        var topic = await DeclareWithMessagesAsync(client, "prefetch", new QueueOptions(), [.. Enumerable.Range(0, 10).Select(i => $"w{i}")]);
        await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { Prefetch = 3 });

        var held = await RealBroker.ReceiveManyAsync(subscription, 3);
        Assert.Null(await RealBroker.NextAsync(subscription, TimeSpan.FromMilliseconds(300)));

        // Each settlement makes room for exactly one more.
        await held[0].AckAsync();
        held.Add(await RealBroker.ReceiveAsync(subscription));
        Assert.Null(await RealBroker.NextAsync(subscription, TimeSpan.FromMilliseconds(300)));
        Assert.Equal(4, held.Select(d => d.Offset).Distinct().Count());
    }

    [Fact(Timeout = 20_000)]
    public async Task Auto_ack_deliveries_need_no_settlement_refuse_one_and_are_not_redelivered()
    {
        await using var client = await broker.ConnectAsync();
        var topic = await DeclareWithMessagesAsync(client, "auto", new QueueOptions(), "a", "b");

        await using (var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { AckMode = AckMode.Auto }))
        {
            var received = await RealBroker.ReceiveManyAsync(subscription, 2);
            Assert.All(received, d => Assert.True(d.IsSettled));
            var refused = await Assert.ThrowsAsync<InvalidArgumentException>(() => received[0].AckAsync());
            Assert.Equal("auto_ack", refused.Reason);
        }

        await using var again = await client.SubscribeAsync(topic);
        Assert.Null(await RealBroker.NextAsync(again, TimeSpan.FromMilliseconds(300)));
    }

    [Fact(Timeout = 20_000)]
    public async Task Unsubscribing_returns_unsettled_messages_to_another_consumer()
    {
        await using var holder = await broker.ConnectAsync();
        await using var other = await broker.ConnectAsync();
        var topic = await DeclareWithMessagesAsync(holder, "unsubscribe", new QueueOptions(), "x", "y");

        var first = await holder.SubscribeAsync(topic);
        await RealBroker.ReceiveManyAsync(first, 2);
        await using var second = await other.SubscribeAsync(topic);
        Assert.Null(await RealBroker.NextAsync(second, TimeSpan.FromMilliseconds(200)));

        await first.CloseAsync();
        var returned = await RealBroker.ReceiveManyAsync(second, 2);
        Assert.All(returned, d => Assert.Equal(2, d.Attempt));
        await Task.WhenAll(returned.Select(d => d.AckAsync()));
    }

    [Fact(Timeout = 20_000)]
    public async Task Many_settlements_at_once_all_complete()
    {
        await using var client = await broker.ConnectAsync();
        var topic = await DeclareWithMessagesAsync(client, "many-acks", new QueueOptions { Partitions = 2 }, [.. Enumerable.Range(0, 200).Select(i => $"m{i}")]);
        await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { Prefetch = 200 });
        var received = await RealBroker.ReceiveManyAsync(subscription, 200);

        // Issued together, they travel in a few frames; every one is confirmed.
        await Task.WhenAll(received.Select((d, i) => i % 2 == 0 ? d.AckAsync() : d.FailAsync()));
        await subscription.CloseAsync();
        await using var again = await client.SubscribeAsync(topic);
        Assert.Null(await RealBroker.NextAsync(again, TimeSpan.FromMilliseconds(200)));
    }

    [Fact(Timeout = 30_000)]
    public async Task An_auto_ack_consumer_behind_on_a_backlog_can_await_a_confirmed_publish_per_message()
    {
        // A short request timeout: a reply held back behind the consumer's flow control would show as a timeout.
        await using var client = await broker.ConnectAsync(o => o.RequestTimeout = TimeSpan.FromSeconds(3));
        var topic = await DeclareWithMessagesAsync(client, "flow-source", new QueueOptions { Partitions = 4 },
            [.. Enumerable.Range(0, 1000).Select(i => $"m{i}")]);
        var target = await DeclareWithMessagesAsync(client, "flow-target", new QueueOptions());
        await using var forward = client.CreatePublisher(target);

        await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { AckMode = AckMode.Auto, Prefetch = 2 });
        var forwarded = 0;
        await foreach (var delivery in subscription)
        {
            await forward.PublishAsync(new OutgoingMessage(delivery.Payload));
            if (++forwarded == 100)
            {
                break;
            }
        }

        Assert.Equal(100UL, (await forward.PublishAsync(OutgoingMessage.FromText("last"))).Offset);
    }

    [Fact(Timeout = 20_000)]
    public async Task Leaving_an_await_foreach_early_keeps_the_subscription_open_and_the_next_loop_continues_with_the_next_delivery()
    {
        await using var client = await broker.ConnectAsync();
        var topic = await DeclareWithMessagesAsync(client, "break", new QueueOptions(), "first", "second", "third");
        await using var subscription = await client.SubscribeAsync(topic);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var firstLoop = new List<Delivery>();
        await foreach (var delivery in subscription.WithCancellation(deadline.Token))
        {
            firstLoop.Add(delivery);
            break;
        }

        Assert.True(subscription.IsActive);
        Assert.Null(subscription.EndReason);
        Assert.False(subscription.Completion.IsCompleted);

        var secondLoop = new List<Delivery>();
        await foreach (var delivery in subscription.WithCancellation(deadline.Token))
        {
            secondLoop.Add(delivery);
            if (secondLoop.Count == 2)
            {
                break;
            }
        }

        Assert.Equal(["first"], firstLoop.Select(d => d.Text));
        Assert.Equal(["second", "third"], secondLoop.Select(d => d.Text));
        Assert.All(firstLoop.Concat(secondLoop), d => Assert.Equal(1, d.Attempt));

        // Deliveries taken in either loop still settle: the broker never saw an unsubscribe.
        await Task.WhenAll(firstLoop.Concat(secondLoop).Select(d => d.AckAsync()));

        // Closing is explicit, and ends iteration quietly.
        await subscription.CloseAsync();
        Assert.False(subscription.IsActive);
        Assert.Null(subscription.EndReason);
        await foreach (var unexpected in subscription)
        {
            Assert.Fail($"A closed subscription handed out offset {unexpected.Offset}.");
        }
    }

    [Fact(Timeout = 20_000)]
    public async Task Text_of_a_payload_that_is_not_valid_utf8_has_each_invalid_sequence_replaced_by_U_FFFD()
    {
        await using var client = await broker.ConnectAsync();
        var topic = await DeclareWithMessagesAsync(client, "invalid-utf8", new QueueOptions());
        await client.CreatePublisher(topic).PublishAsync(OutgoingMessage.FromBytes(new byte[] { 0x6F, 0x6B, 0xFF, 0x21, 0xC3 }));

        await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { AckMode = AckMode.Auto });
        var delivery = await RealBroker.ReceiveAsync(subscription);
        Assert.Equal("ok\uFFFD!\uFFFD", delivery.Text);
        Assert.True(delivery.IsSettled);
    }

    private static async Task<string> DeclareWithMessagesAsync(SinewClient client, string what, QueueOptions options, params string[] texts)
    {
        var topic = RealBroker.UniqueTopic(what);
        await client.DeclareQueueAsync(topic, options);
        await using var publisher = client.CreatePublisher(topic);
        if (texts.Length > 0)
        {
            await publisher.PublishBatchAsync([.. texts.Select(OutgoingMessage.FromText)]);
        }

        return topic;
    }
}
