// Against the real broker: connecting, declaring, every way of publishing, partition routing, delayed and
// expiring messages, and the errors a caller meets on the way.
using System.Diagnostics;
using System.Text;
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(PublishingBroker.Name)]
public class PublishingTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 20_000)]
    public async Task Connecting_reports_the_brokers_identity_session_and_limits()
    {
        await using var first = await broker.ConnectAsync();
        await using var second = await broker.ConnectAsync();

        var info = first.ServerInfo!;
        Assert.Equal(broker.ProtocolEndpoint, info.Endpoint);
        Assert.False(string.IsNullOrWhiteSpace(info.ServerId));
        Assert.False(string.IsNullOrWhiteSpace(info.ServerVersion));
        Assert.Equal(1, info.ProtocolVersion);
        Assert.Equal(new BrokerLimits(16 * 1024 * 1024, 1024, 64, 65_535), info.Limits);

        // One broker, two sessions.
        Assert.Equal(info.ServerId, second.ServerInfo!.ServerId);
        Assert.NotEqual(info.SessionId, second.ServerInfo.SessionId);
    }

    [Fact(Timeout = 20_000)]
    public async Task Declaring_returns_the_effective_settings_is_idempotent_and_a_different_redeclare_is_a_conflict_naming_the_field()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("declare");
        var deadLetters = RealBroker.UniqueTopic("declare-dlq");
        var options = new QueueOptions
        {
            Partitions = 2,
            MaxRetries = 4,
            Lease = TimeSpan.FromSeconds(20),
            DefaultTtl = TimeSpan.FromMinutes(5),
            DeadLetter = DeadLetterPolicy.ToQueue(deadLetters),
        };

        var created = await client.DeclareQueueAsync(topic, options);
        Assert.Equal(new QueueInfo(topic, null, true, 2, DeadLetterPolicy.ToQueue(deadLetters), 4, TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(20)), created);
        Assert.Equal(created with { Created = false }, await client.DeclareQueueAsync(topic, options));

        // Absent settings take the broker's defaults, which resolve to the same values for the partition count only.
        var conflict = await Assert.ThrowsAsync<BrokerException>(() => client.DeclareQueueAsync(topic, options with { Partitions = 3 }));
        Assert.Equal("conflict", conflict.Code);
        Assert.Equal(9, conflict.BrokerCode);
        Assert.False(conflict.IsRetryable);
        Assert.Equal("partitions", conflict.Details["field"]);
        Assert.Equal("2", conflict.Details["existing"]);
        Assert.Equal("3", conflict.Details["requested"]);

        // The broker's defaults: one partition, and effective values for everything left unset.
        var plain = await client.DeclareQueueAsync(RealBroker.UniqueTopic("declare-defaults"));
        Assert.True(plain.Created);
        Assert.Equal(1, plain.Partitions);
        Assert.True(plain.Lease > TimeSpan.Zero);
    }

    [Fact(Timeout = 20_000)]
    public async Task Names_and_headers_that_break_the_rules_are_refused_before_anything_is_sent()
    {
        // A client that has not connected yet: a refused call must not even open the connection.
        await using var client = new SinewClient(broker.ClientOptions());
        var topic = await Assert.ThrowsAsync<InvalidArgumentException>(() => client.DeclareQueueAsync("new orders"));
        Assert.Equal("invalid_argument", topic.Code);
        Assert.False(topic.IsRetryable);
        Assert.Equal("topic", topic.Argument);
        Assert.Equal("whitespace", topic.Reason);
        Assert.Equal("reserved_character", (await Assert.ThrowsAsync<InvalidArgumentException>(() => client.SubscribeAsync("orders.*"))).Reason);
        Assert.Throws<InvalidArgumentException>(() => client.CreatePublisher("$system"));
        Assert.False(client.IsConnected);

        // Headers are checked against the broker's limits, so the client connects first; the publish itself is never
        // sent (the queue does not exist: the broker would have answered not_found).
        var publisher = client.CreatePublisher(RealBroker.UniqueTopic("names"));
        var header = await Assert.ThrowsAsync<InvalidArgumentException>(() =>
            publisher.PublishAsync(OutgoingMessage.FromText("x").WithHeader("Sinew.Forged", "1")));
        Assert.Equal("Headers", header.Argument);
        Assert.Equal("reserved_prefix", header.Reason);
    }

    [Fact(Timeout = 20_000)]
    public async Task Publishing_to_or_subscribing_to_a_queue_that_was_never_declared_is_not_found()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("undeclared");

        var publish = await Assert.ThrowsAsync<BrokerException>(() => client.CreatePublisher(topic).PublishAsync(OutgoingMessage.FromText("lost")));
        Assert.Equal("not_found", publish.Code);
        Assert.Equal(8, publish.BrokerCode);
        Assert.False(publish.IsRetryable);

        var subscribe = await Assert.ThrowsAsync<BrokerException>(() => client.SubscribeAsync(topic));
        Assert.Equal("not_found", subscribe.Code);

        // The errors leave the connection usable.
        Assert.True((await client.DeclareQueueAsync(topic)).Created);
    }

    [Fact(Timeout = 20_000)]
    public async Task Confirmed_unconfirmed_pipelined_and_batched_publishes_are_stored_in_order_and_delivered_as_sent()
    {
        var unsolicited = new List<SinewException>();
        await using var client = await broker.ConnectAsync(o => o.OnError = unsolicited.Add);
        var topic = RealBroker.UniqueTopic("publish");
        await client.DeclareQueueAsync(topic);
        await using var publisher = client.CreatePublisher(topic);

        var confirmed = await publisher.PublishAsync(OutgoingMessage.FromJson(new { Sku = "A-1", Qty = 2 }).WithHeader("tenant", "acme").WithHeader("clé", "✓"));
        Assert.Equal(new PublishReceipt(0, 0, false), confirmed);

        await publisher.PublishUnconfirmedAsync(OutgoingMessage.FromBytes(new byte[] { 0, 0xFF, 0x80 }, "application/x-sensor"));

        var confirmations = new List<PublishConfirmation>();
        for (var i = 0; i < 20; i++)
        {
            confirmations.Add(await publisher.PublishWithConfirmationAsync(OutgoingMessage.FromText($"pipelined {i}")));
        }

        var pipelined = await Task.WhenAll(confirmations.Select(c => c.Completion));
        Assert.Equal(Enumerable.Range(2, 20).Select(o => (ulong)o), pipelined.Select(r => r.Offset));

        var batch = await publisher.PublishBatchAsync([.. Enumerable.Range(0, 10).Select(i => OutgoingMessage.FromText($"batch {i}"))]);
        Assert.Equal(Enumerable.Range(22, 10).Select(o => (ulong)o), batch.Select(r => r.Offset));
        Assert.All(batch, r => Assert.False(r.Duplicate));

        await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { AckMode = AckMode.Auto });
        var received = await RealBroker.ReceiveManyAsync(subscription, 32);
        Assert.Equal(Enumerable.Range(0, 32).Select(o => (ulong)o), received.Select(d => d.Offset));

        var json = received[0];
        Assert.Equal("application/json", json.ContentType);
        Assert.Equal("""{"sku":"A-1","qty":2}""", json.Text);
        Assert.Equal("acme", json.Headers["tenant"]);
        Assert.Equal("✓", json.Headers["clé"]);
        Assert.Equal(1, json.Attempt);
        Assert.InRange(json.PublishedAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));

        Assert.Equal(new byte[] { 0, 0xFF, 0x80 }, received[1].Payload.ToArray());
        Assert.Equal("application/x-sensor", received[1].ContentType);
        Assert.Equal("pipelined 19", received[21].Text);
        Assert.Equal("batch 9", received[31].Text);
        Assert.Empty(unsolicited);
    }

    [Fact(Timeout = 20_000)]
    public async Task A_batch_larger_than_the_brokers_limit_is_refused_before_sending()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("big-batch");
        await client.DeclareQueueAsync(topic);
        var publisher = client.CreatePublisher(topic);
        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() =>
            publisher.PublishBatchAsync([.. Enumerable.Range(0, 1025).Select(_ => OutgoingMessage.FromText("x"))]));
        Assert.Equal("too_many", error.Reason);
        Assert.Equal(0UL, (await publisher.PublishAsync(OutgoingMessage.FromText("first"))).Offset);
    }

    [Fact(Timeout = 20_000)]
    public async Task Keyed_messages_land_on_the_fnv1a_partition_of_their_key_for_the_partition_count_in_the_topology()
    {
        await using var declaring = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("keys");
        await declaring.DeclareQueueAsync(topic, new QueueOptions { Partitions = 4 });

        // A second client that never declared the queue learns its partition count from the topology.
        await using var client = await broker.ConnectAsync();
        var channel = Assert.Single((await client.GetTopologyAsync()).Channels, c => c.Topic == topic);
        Assert.Equal(4, channel.Partitions);
        Assert.Equal(ChannelKind.Queue, channel.Kind);

        var publisher = client.CreatePublisher(topic);
        foreach (var key in new[] { "customer-42", "order-7", "заказ-№7", "", "k" })
        {
            var receipt = await publisher.PublishAsync(OutgoingMessage.FromText("x").WithKey(key));
            Assert.Equal((int)(Fnv1a64(Encoding.UTF8.GetBytes(key)) % (ulong)channel.Partitions), receipt.Partition);
        }
    }

    [Fact(Timeout = 20_000)]
    public async Task Messages_with_one_key_stay_in_order_and_on_one_partition_while_other_keys_interleave()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("order");
        await client.DeclareQueueAsync(topic, new QueueOptions { Partitions = 4 });
        var publisher = client.CreatePublisher(topic);
        string[] keys = ["alice", "bob", "carol"];
        var confirmations = new List<PublishConfirmation>();
        for (var step = 0; step < 10; step++)
        {
            foreach (var key in keys)
            {
                confirmations.Add(await publisher.PublishWithConfirmationAsync(OutgoingMessage.FromText($"{key}:{step}").WithKey(key)));
            }
        }

        await Task.WhenAll(confirmations.Select(c => c.Completion));
        await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { AckMode = AckMode.Auto });
        var received = await RealBroker.ReceiveManyAsync(subscription, 30);
        foreach (var key in keys)
        {
            var mine = received.Where(d => d.Text.StartsWith(key + ":", StringComparison.Ordinal)).ToList();
            Assert.Equal(Enumerable.Range(0, 10).Select(s => $"{key}:{s}"), mine.Select(d => d.Text));
            Assert.Single(mine.Select(d => d.Partition).Distinct());
            Assert.Equal((int)(Fnv1a64(Encoding.UTF8.GetBytes(key)) % 4), mine[0].Partition);
        }
    }

    [Fact(Timeout = 20_000)]
    public async Task Keyless_messages_go_round_robin_and_one_subscription_receives_every_partition()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("round-robin");
        await client.DeclareQueueAsync(topic, new QueueOptions { Partitions = 4 });
        var publisher = client.CreatePublisher(topic);
        var receipts = new List<PublishReceipt>();
        for (var i = 0; i < 8; i++)
        {
            receipts.Add(await publisher.PublishAsync(OutgoingMessage.FromText($"m{i}")));
        }

        Assert.Equal([0, 0, 1, 1, 2, 2, 3, 3], receipts.Select(r => r.Partition).Order());

        await using var subscription = await client.SubscribeAsync(topic);
        Assert.Equal([0, 1, 2, 3], subscription.Partitions);
        var received = await RealBroker.ReceiveManyAsync(subscription, 8);
        Assert.Equal(receipts.Select(r => (r.Partition, r.Offset)).Order(), received.Select(d => (d.Partition, d.Offset)).Order());

        // Each delivery settles on its own partition's subscription; afterwards nothing is left anywhere.
        await Task.WhenAll(received.Select(d => d.AckAsync()));
        await subscription.CloseAsync();
        await using var again = await client.SubscribeAsync(topic);
        Assert.Null(await RealBroker.NextAsync(again, TimeSpan.FromMilliseconds(300)));
    }

    [Fact(Timeout = 20_000)]
    public async Task Delayed_messages_are_not_delivered_before_their_delay_or_not_before_time()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("delayed");
        await client.DeclareQueueAsync(topic);
        await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { AckMode = AckMode.Auto });
        var publisher = client.CreatePublisher(topic);

        var clock = Stopwatch.StartNew();
        await publisher.PublishAsync(OutgoingMessage.FromText("delayed").WithDelay(TimeSpan.FromMilliseconds(600)));
        await publisher.PublishAsync(OutgoingMessage.FromText("scheduled").WithNotBefore(DateTimeOffset.UtcNow.AddMilliseconds(600)));
        await publisher.PublishAsync(OutgoingMessage.FromText("now"));

        Assert.Equal("now", (await RealBroker.ReceiveAsync(subscription)).Text);
        var later = await RealBroker.ReceiveManyAsync(subscription, 2);
        Assert.Equal(["delayed", "scheduled"], later.Select(d => d.Text).Order());

        // Both waited out their 600 ms; the not-before time is the client's clock, the delay the broker's.
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(550), $"delivered after {clock.Elapsed}");
    }

    [Fact(Timeout = 20_000)]
    public async Task A_message_whose_ttl_passes_while_waiting_is_dead_lettered_with_reason_expired()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("ttl");
        var deadLetters = RealBroker.UniqueTopic("ttl-dlq");
        await client.DeclareQueueAsync(deadLetters);
        await client.DeclareQueueAsync(topic, new QueueOptions { DeadLetter = DeadLetterPolicy.ToQueue(deadLetters) });
        var receipt = await client.CreatePublisher(topic).PublishAsync(OutgoingMessage.FromText("stale").WithHeader("tenant", "acme").WithTtl(TimeSpan.FromMilliseconds(200)));

        // Nobody consumes the queue, so the message expires while ready and leaves through the dead-letter policy.
        await using var dead = await client.SubscribeAsync(deadLetters);
        var copy = await RealBroker.ReceiveAsync(dead, TimeSpan.FromSeconds(10));
        Assert.Equal("stale", copy.Text);
        Assert.Equal("acme", copy.Headers["tenant"]);
        Assert.Equal("expired", copy.Headers["sinew.dlq.reason"]);
        Assert.Equal(topic, copy.Headers["sinew.dlq.source_topic"]);
        Assert.Equal(receipt.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture), copy.Headers["sinew.dlq.source_offset"]);
        await copy.AckAsync();

        await using var source = await client.SubscribeAsync(topic);
        Assert.Null(await RealBroker.NextAsync(source, TimeSpan.FromMilliseconds(300)));
    }

    [Fact(Timeout = 20_000)]
    public async Task A_reliable_publisher_stores_each_message_once_and_a_repeated_sequence_is_a_duplicate()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("reliable");
        await client.DeclareQueueAsync(topic);
        var producer = "producer-" + Guid.NewGuid().ToString("N")[..8];

        await using (var reliable = client.CreateReliablePublisher(topic, new ReliablePublisherOptions { ProducerId = producer }))
        {
            var receipts = await reliable.PublishBatchAsync([.. Enumerable.Range(0, 3).Select(i => OutgoingMessage.FromText($"r{i}"))]);
            Assert.Equal([0UL, 1UL, 2UL], receipts.Select(r => r.Offset));
            Assert.All(receipts, r => Assert.False(r.Duplicate));
        }

        // Sequences 2 and 3 again, as retries after lost confirmations would send them, then a new sequence.
        await using (var again = client.CreateReliablePublisher(topic, new ReliablePublisherOptions { ProducerId = producer, FirstSequence = 2 }))
        {
            Assert.Equal(new PublishReceipt(0, 1, true), await again.PublishAsync(OutgoingMessage.FromText("r1")));
            Assert.Equal(new PublishReceipt(0, 2, true), await again.PublishAsync(OutgoingMessage.FromText("r2")));
            Assert.Equal(new PublishReceipt(0, 3, false), await again.PublishAsync(OutgoingMessage.FromText("r3")));
        }

        await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { AckMode = AckMode.Auto });
        Assert.Equal(["r0", "r1", "r2", "r3"], (await RealBroker.ReceiveManyAsync(subscription, 4)).Select(d => d.Text));
        Assert.Null(await RealBroker.NextAsync(subscription, TimeSpan.FromMilliseconds(200)));
    }

    /// <summary>FNV-1a 64 written out here, independently of the client's implementation.</summary>
    private static ulong Fnv1a64(byte[] data)
    {
        var hash = 0xcbf29ce484222325UL;
        foreach (var b in data)
        {
            hash ^= b;
            hash *= 0x100000001b3UL;
        }

        return hash;
    }
}
