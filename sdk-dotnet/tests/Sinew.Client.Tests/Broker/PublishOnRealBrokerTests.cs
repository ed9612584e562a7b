// Publishing against the real broker, from the client's side: an unconfirmed publish is stored, a reused payload
// buffer does not change what was stored, pipelined confirmations each carry their own offset, keyed and keyless
// messages land where the client routed them, and a disposed publisher refuses new work. The frames the client sends
// for all of this are checked on the fake (Engine/PublishTests.cs).
using System.Buffers.Binary;
using Sinew.Client.Tests.Fixtures;
using Sinew.Protocol.Routing;

namespace Sinew.Client.Tests.Broker;

[Collection(PublishingBroker.Name)]
public class PublishOnRealBrokerTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 20_000)]
    public async Task An_unconfirmed_publish_is_stored_by_the_broker()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("unconfirmed");
        await client.DeclareQueueAsync(topic);
        await client.CreatePublisher(topic).PublishUnconfirmedAsync(OutgoingMessage.FromText("fire and forget"));

        await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { AckMode = AckMode.Auto });
        Assert.Equal("fire and forget", (await RealBroker.ReceiveAsync(subscription)).Text);
        Assert.Null(await RealBroker.NextAsync(subscription, TimeSpan.FromMilliseconds(200)));
    }

    [Fact(Timeout = 20_000)]
    public async Task A_payload_buffer_may_be_reused_once_the_publish_is_queued()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("reused-buffer");
        await client.DeclareQueueAsync(topic);
        var publisher = client.CreatePublisher(topic);

        var buffer = new byte[4];
        var message = new OutgoingMessage(buffer);
        var confirmations = new List<PublishConfirmation>();
        for (var i = 0; i < 100; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer, i);
            confirmations.Add(await publisher.PublishWithConfirmationAsync(message));
        }

        var receipts = new List<PublishReceipt>();
        foreach (var confirmation in confirmations)
        {
            receipts.Add(await confirmation);
        }

        var stored = await StoredByOffsetAsync(client, topic, 100);
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(i, BinaryPrimitives.ReadInt32LittleEndian(stored[receipts[i].Offset].Payload.Span));
        }
    }

    [Fact(Timeout = 20_000)]
    public async Task Pipelined_publishes_are_each_confirmed_with_their_own_offset()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("pipelined");
        await client.DeclareQueueAsync(topic);
        var publisher = client.CreatePublisher(topic);

        var confirmations = new List<PublishConfirmation>();
        for (var i = 0; i < 500; i++)
        {
            confirmations.Add(await publisher.PublishWithConfirmationAsync(OutgoingMessage.FromText($"m{i}")));
        }

        var receipts = new List<PublishReceipt>();
        foreach (var confirmation in confirmations)
        {
            receipts.Add(await confirmation);
        }

        Assert.Equal(Enumerable.Range(0, 500).Select(i => (ulong)i), receipts.Select(r => r.Offset).Order());
        var stored = await StoredByOffsetAsync(client, topic, 500);
        for (var i = 0; i < 500; i++)
        {
            Assert.Equal($"m{i}", stored[receipts[i].Offset].Text);
        }
    }

    [Fact(Timeout = 20_000)]
    public async Task Keyed_messages_go_to_the_fnv1a_partition_of_their_key()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("keyed");
        await client.DeclareQueueAsync(topic, new QueueOptions { Partitions = 8 });
        var publisher = client.CreatePublisher(topic);
        foreach (var key in new[] { "alice", "bob", "carol", "dave" })
        {
            var receipt = await publisher.PublishAsync(OutgoingMessage.FromText("x").WithKey(key));
            Assert.Equal((int)PartitionRouting.PartitionForKey(key, 8), receipt.Partition);
        }
    }

    [Fact(Timeout = 20_000)]
    public async Task Keyless_messages_go_round_robin_over_the_partitions()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("keyless");
        await client.DeclareQueueAsync(topic, new QueueOptions { Partitions = 3 });
        var publisher = client.CreatePublisher(topic);
        var partitions = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            partitions.Add((await publisher.PublishAsync(OutgoingMessage.FromText("x"))).Partition);
        }

        Assert.Equal([0, 1, 2, 0, 1, 2], partitions);
    }

    [Fact(Timeout = 20_000)]
    public async Task A_disposed_publisher_refuses_new_publishes()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("disposed-publisher");
        await client.DeclareQueueAsync(topic);
        var publisher = client.CreatePublisher(topic);
        await publisher.PublishAsync(OutgoingMessage.FromText("x"));
        await publisher.DisposeAsync();
        var error = await Assert.ThrowsAsync<ClientClosedException>(() => publisher.PublishAsync(OutgoingMessage.FromText("x")));
        Assert.Contains("disposed", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 20_000)]
    public async Task Without_an_explicit_id_each_publisher_gets_its_own_random_producer_id()
    {
        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("producer-ids");
        var first = client.CreateReliablePublisher(topic);
        var second = client.CreateReliablePublisher(topic);
        Assert.NotEqual(first.ProducerId, second.ProducerId);
        Assert.Equal(32, first.ProducerId.Length);
        Assert.Equal(1UL, first.NextSequence);
    }

    /// <summary>What the broker stored in a single-partition queue, read back by offset with an auto-ack subscription.</summary>
    private static async Task<Dictionary<ulong, Delivery>> StoredByOffsetAsync(SinewClient client, string topic, int count)
    {
        await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { AckMode = AckMode.Auto, Prefetch = 1000 });
        var stored = (await RealBroker.ReceiveManyAsync(subscription, count)).ToDictionary(d => d.Offset);
        Assert.Null(await RealBroker.NextAsync(subscription, TimeSpan.FromMilliseconds(200)));
        return stored;
    }
}
