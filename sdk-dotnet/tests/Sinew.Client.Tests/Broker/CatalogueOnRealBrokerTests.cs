// The client's live catalogue against the real broker: another client's declaration reaches a watcher and the event
// through the broker's push, the catalogue lists declared queues with their partition counts and routing versions,
// and after the broker restarts with a queue's routing version raised and another queue gone, the client reconciles
// its view from a fresh catalogue, reports the differences and publishes with the new routing version.
using System.Text.Json.Nodes;
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(PublishingBroker.Name)]
public class CatalogueOnRealBrokerTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 20_000)]
    public async Task A_queue_another_client_declares_arrives_as_a_change_and_in_the_catalogue()
    {
        await using var watching = await broker.ConnectAsync();
        await watching.GetCatalogueAsync();
        var events = new TaskCompletionSource<CatalogueChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        var topic = RealBroker.UniqueTopic("catalogue-added");
        watching.CatalogueChanged += (_, change) =>
        {
            if (change.Added.Any(e => e.Topic == topic))
            {
                events.TrySetResult(change);
            }
        };
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var watcher = watching.WatchCatalogueAsync(cancel.Token).GetAsyncEnumerator();
        var watched = FirstAddingAsync(watcher, topic);

        await using var declaring = await broker.ConnectAsync();
        await declaring.DeclareQueueAsync(topic, new QueueOptions { Partitions = 3 });

        var expected = new CatalogueEntry(ChannelKind.Queue, topic, null, 3, 1);
        var fromEvent = await events.Task.WaitAsync(cancel.Token);
        Assert.Contains(expected, fromEvent.Added);
        Assert.Contains(expected, (await watched).Added);
        var catalogue = await watching.GetCatalogueAsync();
        Assert.Equal(expected, catalogue.Find(topic));
        Assert.True(catalogue.Generation >= fromEvent.Generation);
        await watcher.DisposeAsync();
    }

    [Fact(Timeout = 20_000)]
    public async Task The_catalogue_lists_a_declared_queue_with_its_partition_count_even_right_after_declaring()
    {
        await using var client = await broker.ConnectAsync();
        var first = RealBroker.UniqueTopic("catalogue-listed");
        await client.DeclareQueueAsync(first, new QueueOptions { Partitions = 4, Group = "eu" });
        Assert.Equal(new CatalogueEntry(ChannelKind.Queue, first, "eu", 4, 1), (await client.GetCatalogueAsync()).Find(first, "eu"));

        // The view is established now; a queue declared next is listed by the very next read, before any push.
        var second = RealBroker.UniqueTopic("catalogue-listed");
        await client.DeclareQueueAsync(second, new QueueOptions { Partitions = 2 });
        Assert.Equal(2, (await client.GetCatalogueAsync()).Find(second)?.Partitions);
    }

    private static async Task<CatalogueChange> FirstAddingAsync(IAsyncEnumerator<CatalogueChange> watcher, string topic)
    {
        while (await watcher.MoveNextAsync())
        {
            if (watcher.Current.Added.Any(e => e.Topic == topic))
            {
                return watcher.Current;
            }
        }

        throw new InvalidOperationException("The watch ended.");
    }
}

[Collection(OwnBrokers.Name)]
public class CatalogueAfterRestartTests
{
    [Fact(Timeout = 60_000)]
    public async Task After_a_restart_the_view_is_reconciled_the_differences_reported_and_publishes_carry_the_new_routing_version()
    {
        await using var broker = await SinewBrokerFixture.StartAsync();
        await using var client = await broker.ConnectAsync();
        var raised = RealBroker.UniqueTopic("raised");
        var gone = RealBroker.UniqueTopic("gone");
        await client.DeclareQueueAsync(raised, new QueueOptions { Partitions = 2 });
        await client.DeclareQueueAsync(gone);
        Assert.Equal(1UL, (await client.GetCatalogueAsync()).Find(raised)!.RoutingVersion);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var watcher = client.WatchCatalogueAsync(cancel.Token).GetAsyncEnumerator();
        var next = watcher.MoveNextAsync();

        // While the broker is down its queue files change as repartitioning would leave them: one queue's routing
        // version goes up, another queue is gone.
        await broker.StopAsync();
        var queue = QueueDirectory(broker, raised);
        var settings = JsonNode.Parse(File.ReadAllText(Path.Combine(queue, "queue.json")))!.AsObject();
        settings["routing_version"] = 5;
        File.WriteAllText(Path.Combine(queue, "queue.json"), settings.ToJsonString());
        Directory.Delete(QueueDirectory(broker, gone), recursive: true);
        await broker.StartAgainAsync();

        await client.EnsureConnectedAsync();
        var removed = new List<CatalogueEntry>();
        var changed = new List<CatalogueEntry>();
        while (!(removed.Any(e => e.Topic == gone) && changed.Any(e => e.Topic == raised)))
        {
            Assert.True(await next);
            removed.AddRange(watcher.Current.Removed);
            changed.AddRange(watcher.Current.Changed);
            next = watcher.MoveNextAsync();
        }

        Assert.Equal(new CatalogueEntry(ChannelKind.Queue, raised, null, 2, 5), changed.Single(e => e.Topic == raised));
        var catalogue = await client.GetCatalogueAsync();
        Assert.Null(catalogue.Find(gone));
        Assert.Equal(5UL, catalogue.Find(raised)!.RoutingVersion);

        // Stamped with version 5 (the broker refuses an older stamp with a redirect, which the publisher would resend).
        var publisher = client.CreatePublisher(raised);
        var partitions = new List<int>();
        for (var i = 0; i < 2; i++)
        {
            partitions.Add((await publisher.PublishAsync(OutgoingMessage.FromText($"m{i}"))).Partition);
        }

        Assert.Equal([0, 1], partitions.Order());
        await watcher.DisposeAsync();
    }

    /// <summary>The directory the broker keeps a queue in, found by the topic its queue.json names.</summary>
    private static string QueueDirectory(SinewBrokerFixture broker, string topic) =>
        Directory.EnumerateDirectories(Path.Combine(broker.DataDirectory, "queues"))
            .Single(d => File.Exists(Path.Combine(d, "queue.json"))
                         && JsonNode.Parse(File.ReadAllText(Path.Combine(d, "queue.json")))!["topic"]!.GetValue<string>() == topic);
}
