// The list length limit (limits.max_list_items, specification section 2.4): what the broker announces, what it
// refuses, that a refused frame changes nothing, and that the lists it sends keep to the limit too.
using System.Collections;
using System.Text;
using System.Text.Json.Nodes;
using Sinew.Broker.Configuration;
using Sinew.Broker.Network;
using Sinew.Broker.Tests.Support;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Tests;

public class ListLengthTests
{
    private const int Limit = 16;

    private static Task<TestBroker> StartWithLimitAsync() => TestBroker.StartAsync(o =>
    {
        o.Limits.MaxListItems = Limit;
        o.Queues.MaxPartitions = Limit;
    });

    /// <summary>Publishes <paramref name="count"/> messages, subscribes and takes every delivery.</summary>
    private static async Task<List<ulong>> HoldDeliveriesAsync(RawClient client, int count)
    {
        await client.DeclareAsync("jobs");
        for (var i = 0; i < count; i++)
        {
            await client.PublishAsync("jobs", Encoding.UTF8.GetBytes($"m{i}"));
        }

        await client.SubscribeAsync("jobs", prefetch: 1000);
        var ids = new List<ulong>();
        for (var i = 0; i < count; i++)
        {
            ids.Add((await client.NextDeliveryAsync()).DeliveryId);
        }

        return ids;
    }

    private static void AssertTooManyItems(Error error, string field)
    {
        Assert.False(error.Retryable);
        Assert.Equal(field, error.Details!["field"]);
        Assert.Equal(ListLengthValidator.TooManyItems, error.Details["reason"]);
        Assert.Equal(Limit.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Details["limit"]);
    }

    [Fact(Timeout = 30_000)]
    public async Task The_broker_announces_its_list_limit_in_HelloOk()
    {
        await using var broker = await StartWithLimitAsync();
        await using var client = await broker.ConnectAsync();
        Assert.Equal((uint)Limit, client.Welcome!.Limits.MaxListItems);

        await using var defaults = await TestBroker.StartAsync();
        await using var other = await defaults.ConnectAsync();
        Assert.Equal(16_384u, other.Welcome!.Limits.MaxListItems);
    }

    [Fact(Timeout = 30_000)]
    public async Task An_ack_of_one_id_more_than_the_limit_is_refused_with_invalid_and_settles_nothing()
    {
        await using var broker = await StartWithLimitAsync();
        await using var client = await broker.ConnectAsync();
        var ids = await HoldDeliveriesAsync(client, Limit + 1);

        var error = await client.FailAsync(new Ack(ids), ErrorCode.Invalid);
        AssertTooManyItems(error, "delivery_ids");

        // The connection stays usable, and every delivery is still held: had the refused frame settled any, acking
        // it now would report it stale.
        Assert.Empty((await client.AckAsync([.. ids.Take(Limit)])).Failures);
        Assert.Empty((await client.AckAsync(ids[Limit])).Failures);
    }

    [Fact(Timeout = 30_000)]
    public async Task An_ack_of_exactly_the_limit_settles_every_delivery()
    {
        await using var broker = await StartWithLimitAsync();
        await using var client = await broker.ConnectAsync();
        var ids = await HoldDeliveriesAsync(client, Limit);

        Assert.Empty((await client.AckAsync([.. ids])).Failures);

        // Settled: a second ack of the same ids reports every one stale, in a SettleOk as long as the request.
        var again = await client.AckAsync([.. ids]);
        Assert.Equal(ids, again.Failures.Select(f => f.DeliveryId));
        Assert.All(again.Failures, f => Assert.Equal((ushort)ErrorCode.StaleDelivery, f.Code));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_nack_or_lease_extension_over_the_limit_is_refused_and_changes_nothing()
    {
        await using var broker = await StartWithLimitAsync();
        await using var client = await broker.ConnectAsync();
        var ids = await HoldDeliveriesAsync(client, Limit + 1);

        var nack = await client.FailAsync(new Nack([.. ids.Select(id => new NackItem(id, Requeue: false, Reason: "refused"))]), ErrorCode.Invalid);
        AssertTooManyItems(nack, "items");
        var extend = await client.FailAsync(new ExtendLease([.. ids.Select(id => new LeaseExtension(id, 60_000))]), ErrorCode.Invalid);
        AssertTooManyItems(extend, "items");

        // Nothing was dead-lettered or released: every delivery is still held and nothing is redelivered.
        Assert.True(await client.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(200)));
        Assert.Empty((await client.AckAsync([.. ids.Take(Limit)])).Failures);
        Assert.Empty((await client.AckAsync(ids[Limit])).Failures);
    }

    [Theory(Timeout = 30_000)]
    [InlineData("unsubscribe")]
    [InlineData("goodbye")]
    public async Task A_handed_out_list_over_the_limit_is_refused_and_returns_nothing(string close)
    {
        await using var broker = await StartWithLimitAsync();
        await using var client = await broker.ConnectAsync();
        var ids = await HoldDeliveriesAsync(client, Limit + 1);

        // The session's only subscription has the first id.
        var error = await client.FailAsync(close == "unsubscribe" ? new Unsubscribe(1, ids) : new Goodbye(ids), ErrorCode.Invalid);
        AssertTooManyItems(error, "handed_out");

        // The connection stays open and every delivery is still held.
        Assert.True(await client.NoDeliveryWithinAsync(TimeSpan.FromMilliseconds(200)));
        Assert.Empty((await client.AckAsync([.. ids.Take(Limit)])).Failures);
        Assert.Empty((await client.AckAsync(ids[Limit])).Failures);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_dispatch_larger_than_the_limit_is_cut_into_deliver_frames_within_it()
    {
        const int count = 3 * Limit + 5;
        await using var broker = await StartWithLimitAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("backlog");
        for (var i = 0; i < count; i++)
        {
            await client.PublishAsync("backlog", [(byte)i]);
        }

        await client.SubscribeAsync("backlog", prefetch: 1000);
        var sizes = new List<int>();
        while (sizes.Sum() < count)
        {
            if ((await client.NextPushAsync()).Message is Deliver deliver)
            {
                sizes.Add(deliver.Messages.Count);
            }
        }

        Assert.Equal(count, sizes.Sum());
        Assert.All(sizes, size => Assert.InRange(size, 1, Limit));
        // The backlog was dispatched at once, so frames were cut at the limit, not merely small by chance.
        Assert.Contains(Limit, sizes);
    }

    [Fact]
    public void The_validator_checks_every_list_a_client_can_send()
    {
        // Every list or string map in a client op of the registry, other than the ones other limits bound.
        var registry = JsonNode.Parse(File.ReadAllText(RegistryPath()))!;
        var records = registry["records"]!.AsObject();
        var otherwiseBounded = new[] { "PublishBatch.messages" };
        var lists = new List<string>();
        foreach (var op in registry["ops"]!.AsArray().Where(op => (string)op!["from"]! != "server"))
        {
            foreach (var field in op!["fields"]!.AsArray())
            {
                var type = (string)field!["type"]!;
                var name = $"{(string)op["name"]!}.{(string)field["name"]!}";
                if ((type.StartsWith("list:", StringComparison.Ordinal) || type == "strmap") && !otherwiseBounded.Contains(name))
                {
                    lists.Add(name);
                }

                // A list inside a record a client sends would need a check of its own.
                if (type.StartsWith("record:", StringComparison.Ordinal) || type.StartsWith("list:record:", StringComparison.Ordinal))
                {
                    var record = records[type[(type.LastIndexOf(':') + 1)..]]!.AsArray();
                    Assert.DoesNotContain(record, f => ((string)f!["type"]!).StartsWith("list:", StringComparison.Ordinal));
                }
            }
        }

        Assert.Equal(lists.Order(), ListLengthValidator.CheckedLists.Order());
    }

    [Theory]
    [InlineData("16", true)]
    [InlineData("1048576", true)]
    [InlineData("15", false)]
    [InlineData("1048577", false)]
    public void The_list_limit_setting_is_held_to_its_range(string value, bool valid)
    {
        var result = ConfigLoader.Load(null, new Hashtable(),
            [KeyValuePair.Create("limits.max_list_items", value), KeyValuePair.Create("queues.max_partitions", "16")]);
        Assert.Equal(valid, result.IsValid);
        if (!valid)
        {
            Assert.Contains(result.Errors, e => e.StartsWith("limits.max_list_items (command line)", StringComparison.Ordinal) && e.Contains("is outside 16..1048576", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_list_limit_must_hold_the_largest_partition_list()
    {
        var result = ConfigLoader.Load(null, new Hashtable(),
            [KeyValuePair.Create("limits.max_list_items", "100"), KeyValuePair.Create("queues.max_partitions", "101")]);
        Assert.Contains(result.Errors, e => e.StartsWith("queues.max_partitions (101) exceeds limits.max_list_items (100)", StringComparison.Ordinal));
        Assert.Equal(16_384, new BrokerOptions().Limits.MaxListItems);
    }

    private static string RegistryPath()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "wire-vectors", "protocol.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("wire-vectors/protocol.json was not found above the test's directory");
    }
}
