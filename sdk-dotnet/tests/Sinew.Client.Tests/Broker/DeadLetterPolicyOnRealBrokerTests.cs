// DeadLetterPolicy.Global and DeadLetterPolicy.Discard declared through the client on the real broker, and what
// each does with a dead message: Global sends it to the broker's global dead-letter target (an operator setting, made
// here through the admin endpoint), which is the broker's own $dead-letters queue while none is set; Discard drops it
// even when a global target is set, leaving no copy in any queue. Each test has a broker of its own, since the global target is broker-wide.
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(OwnBrokers.Name)]
public class DeadLetterPolicyOnRealBrokerTests
{
    [Fact(Timeout = 60_000)]
    public async Task A_queue_declared_with_the_global_policy_dead_letters_to_the_global_target_and_to_dead_letters_while_none_is_set()
    {
        await using var broker = await SinewBrokerFixture.StartAsync();
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{broker.HttpEndpoint}") };
        var target = RealBroker.UniqueTopic("global-dlq");
        using (var set = await admin.PutAsJsonAsync("/admin/dead-letter-target", new { topic = target }))
        {
            Assert.True(set.IsSuccessStatusCode, $"setting the global target answered {(int)set.StatusCode}");
        }

        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("global");
        var info = await client.DeclareQueueAsync(topic, new QueueOptions { DeadLetter = DeadLetterPolicy.Global });
        Assert.Equal(DeadLetterPolicy.Global, info.DeadLetter);
        Assert.Equal("global", (await QueuesAsync(admin))[topic].GetProperty("dead_letter").GetString());

        await client.CreatePublisher(topic).PublishAsync(OutgoingMessage.FromText("poison").WithHeader("tenant", "acme"));
        await using var subscription = await client.SubscribeAsync(topic);
        var delivery = await RealBroker.ReceiveAsync(subscription);
        await delivery.FailAsync("cannot parse");

        // The target did not exist: the broker declares it for the first dead message.
        await EventuallyAsync(async () => (await QueuesAsync(admin)).ContainsKey(target), "the global target was declared");
        await using var dead = await client.SubscribeAsync(target);
        var copy = await RealBroker.ReceiveAsync(dead);
        Assert.Equal("poison", copy.Text);
        Assert.Equal("acme", copy.Headers["tenant"]);
        Assert.Equal("terminal_nack", copy.Headers["sinew.dlq.reason"]);
        Assert.Equal("cannot parse", copy.Headers["sinew.dlq.error"]);
        Assert.Equal(topic, copy.Headers["sinew.dlq.source_topic"]);
        await copy.AckAsync();

        // With the target cleared, the broker's own $dead-letters queue takes the next one: nothing is dropped, and
        // nothing reaches the old target.
        using (var cleared = await admin.DeleteAsync("/admin/dead-letter-target"))
        {
            Assert.True(cleared.IsSuccessStatusCode, $"clearing the global target answered {(int)cleared.StatusCode}");
        }

        await client.CreatePublisher(topic).PublishAsync(OutgoingMessage.FromText("kept"));
        var second = await RealBroker.ReceiveAsync(subscription);
        Assert.Equal("kept", second.Text);
        await second.FailAsync("cannot parse either");
        await EventuallyAsync(async () => await DeadLetteredAsync(admin, topic, "terminal_nack") == 2, "both messages were dead-lettered");
        await using var brokerOwned = await client.SubscribeAsync("$dead-letters");
        var kept = await RealBroker.ReceiveAsync(brokerOwned);
        Assert.Equal(("kept", "cannot parse either", topic),
            (kept.Text, kept.Headers["sinew.dlq.error"], kept.Headers["sinew.dlq.source_topic"]));
        await kept.AckAsync();
        Assert.Null(await RealBroker.NextAsync(dead, TimeSpan.FromMilliseconds(300)));
        Assert.Equal((0, 1UL), Partition(await QueuesAsync(admin), target));
        Assert.Equal((0, 2UL), Partition(await QueuesAsync(admin), topic));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_queue_declared_with_the_discard_policy_leaves_no_copy_anywhere_even_with_a_global_target_set()
    {
        await using var broker = await SinewBrokerFixture.StartAsync();
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{broker.HttpEndpoint}") };
        var target = RealBroker.UniqueTopic("unused-dlq");
        using (var set = await admin.PutAsJsonAsync("/admin/dead-letter-target", new { topic = target }))
        {
            Assert.True(set.IsSuccessStatusCode, $"setting the global target answered {(int)set.StatusCode}");
        }

        await using var client = await broker.ConnectAsync();
        var topic = RealBroker.UniqueTopic("discard");
        var info = await client.DeclareQueueAsync(topic, new QueueOptions { DeadLetter = DeadLetterPolicy.Discard, MaxRetries = 0 });
        Assert.Equal(DeadLetterPolicy.Discard, info.DeadLetter);
        Assert.Equal("discard", (await QueuesAsync(admin))[topic].GetProperty("dead_letter").GetString());

        // One message failed outright, one that runs out of retries (none are allowed).
        await client.CreatePublisher(topic).PublishBatchAsync([OutgoingMessage.FromText("nacked"), OutgoingMessage.FromText("retried")]);
        await using var subscription = await client.SubscribeAsync(topic);
        var deliveries = await RealBroker.ReceiveManyAsync(subscription, 2);
        await deliveries.Single(d => d.Text == "nacked").FailAsync("bad");
        await deliveries.Single(d => d.Text == "retried").RetryAsync();

        // Both went through the dead-letter policy ...
        await EventuallyAsync(
            async () => await DeadLetteredAsync(admin, topic, "terminal_nack") == 1 && await DeadLetteredAsync(admin, topic, "retries_exhausted") == 1,
            "both messages were dead-lettered");

        // ... and are nowhere: not redelivered, not in the global target, which was never created, nor in any other
        // queue (the broker's own $dead-letters stays empty).
        Assert.Null(await RealBroker.NextAsync(subscription, TimeSpan.FromMilliseconds(300)));
        var queues = await QueuesAsync(admin);
        Assert.Equal(["$dead-letters", topic], queues.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((0, 2UL), Partition(queues, topic));
        Assert.Equal((0, 0UL), Partition(queues, "$dead-letters"));
    }

    private static async Task<Dictionary<string, JsonElement>> QueuesAsync(HttpClient admin)
    {
        using var document = JsonDocument.Parse(await admin.GetStringAsync("/admin/queues"));
        return document.RootElement.EnumerateArray().ToDictionary(q => q.GetProperty("topic").GetString()!, q => q.Clone());
    }

    // Unsettled messages and the next offset of a one-partition queue.
    private static (int Unsettled, ulong NextOffset) Partition(Dictionary<string, JsonElement> queues, string topic)
    {
        var partition = Assert.Single(queues[topic].GetProperty("partition_stats").EnumerateArray());
        return (partition.GetProperty("unsettled").GetInt32(), partition.GetProperty("next_offset").GetUInt64());
    }

    // sinew_messages_dead_lettered_total for a queue and a reason; 0 before the first.
    private static async Task<int> DeadLetteredAsync(HttpClient admin, string topic, string reason)
    {
        var series = $"sinew_messages_dead_lettered_total{{topic=\"{topic}\",group=\"\",reason=\"{reason}\"}} ";
        var line = (await admin.GetStringAsync("/metrics")).Split('\n').FirstOrDefault(l => l.StartsWith(series, StringComparison.Ordinal));
        return line is null ? 0 : (int)double.Parse(line[series.Length..], CultureInfo.InvariantCulture);
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}.");
            await Task.Delay(20);
        }
    }
}
