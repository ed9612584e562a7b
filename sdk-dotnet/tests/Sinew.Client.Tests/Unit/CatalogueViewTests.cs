// The client's live catalogue without a broker: which topologies replace the view, what a change lists, and that a
// watcher or an event handler that does not keep up receives merged changes instead of a growing backlog.
using Sinew.Client.Routing;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Unit;

public class CatalogueViewTests
{
    [Fact(Timeout = 5000)]
    public async Task A_change_lists_added_removed_and_changed_channels()
    {
        var view = new CatalogueView();
        view.Apply(Topology(1, ("kept", 1, 1), ("grown", 2, 1), ("gone", 1, 1)), "s");
        var before = view.Current!;
        view.Apply(Topology(2, ("kept", 1, 1), ("grown", 4, 2), ("new", 3, 1)), "s");

        var change = CatalogueView.Diff(before, view.Current!)!;

        Assert.Equal(2UL, change.Generation);
        Assert.Equal(["new"], change.Added.Select(e => e.Topic));
        Assert.Equal(["gone"], change.Removed.Select(e => e.Topic));
        Assert.Equal(new CatalogueEntry(ChannelKind.Queue, "grown", null, 4, 2), Assert.Single(change.Changed));
        Assert.Null(CatalogueView.Diff(view.Current!, view.Current!));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Generations_are_compared_within_a_session_only()
    {
        var view = new CatalogueView();
        Assert.True(view.Apply(Topology(5, ("a", 1, 1)), "first").Applied);
        Assert.False(view.Apply(Topology(4, ("b", 1, 1)), "first").Applied);
        Assert.False(view.Apply(Topology(5, ("b", 1, 1)), "first").Applied);
        Assert.Equal(["a"], view.Current!.Entries.Select(e => e.Topic));

        // A new session (a restarted broker counts again from the start) replaces the view whatever its generation.
        Assert.True(view.Apply(Topology(1, ("b", 1, 1)), "second").Applied);
        Assert.Equal(["b"], view.Current!.Entries.Select(e => e.Topic));
        Assert.True(view.IsFrom("second"));
        Assert.False(view.IsFrom("first"));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Groups_are_normalised_and_find_looks_channels_up_by_topic_and_group()
    {
        var view = new CatalogueView();
        view.Apply(new Wire.Topology(1, [], [
            new Wire.ChannelInfo(Wire.ChannelKind.Queue, "orders", "default", 2, 1),
            new Wire.ChannelInfo(Wire.ChannelKind.Stream, "events", "eu", 3, 1),
        ]), "s");

        var catalogue = view.Current!;
        Assert.Null(catalogue.Entries[0].Group);
        Assert.Equal(2, catalogue.Find("orders", "")!.Partitions);
        Assert.Equal(ChannelKind.Stream, catalogue.Find("events", "eu")!.Kind);
        Assert.Null(catalogue.Find("events"));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task A_watcher_that_is_not_read_receives_one_merged_change_however_many_catalogues_arrived()
    {
        await using var client = new SinewClient(TestClients.Options("127.0.0.1:1"));
        var view = client.Core.Catalogue;
        view.Apply(Topology(1, ("base", 1, 1), ("dropped", 1, 1)), "s");
        var watcher = client.WatchCatalogueAsync().GetAsyncEnumerator();

        // Ten thousand catalogues, each with a queue the next one no longer lists.
        for (ulong generation = 2; generation <= 10_001; generation++)
        {
            view.Apply(Topology(generation, ("base", 2, 2), ($"churn-{generation}", 1, 1)), "s");
        }

        Assert.True(await watcher.MoveNextAsync());
        var change = watcher.Current;
        Assert.Equal(10_001UL, change.Generation);
        Assert.Equal(["churn-10001"], change.Added.Select(e => e.Topic));
        Assert.Equal(["dropped"], change.Removed.Select(e => e.Topic));
        Assert.Equal(["base"], change.Changed.Select(e => e.Topic));

        // Nothing is queued behind it: the next read waits for the next catalogue.
        var next = watcher.MoveNextAsync();
        Assert.False(next.IsCompleted);
        view.Apply(Topology(10_002, ("base", 2, 2)), "s");
        Assert.True(await next);
        Assert.Equal(["churn-10001"], watcher.Current.Removed.Select(e => e.Topic));
        await watcher.DisposeAsync();
    }

    [Fact(Timeout = 5000)]
    public async Task A_slow_event_handler_receives_the_changes_it_missed_merged_into_one()
    {
        await using var client = new SinewClient(TestClients.Options("127.0.0.1:1"));
        var view = client.Core.Catalogue;
        view.Apply(Topology(1), "s");
        var release = new TaskCompletionSource();
        var firstCall = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondCall = new TaskCompletionSource<CatalogueChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        client.CatalogueChanged += (_, change) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                firstCall.SetResult();
                release.Task.Wait();
            }
            else
            {
                secondCall.TrySetResult(change);
            }
        };

        view.Apply(Topology(2, ("q-2", 1, 1)), "s");
        await firstCall.Task;
        for (ulong generation = 3; generation <= 1000; generation++)
        {
            view.Apply(Topology(generation, ($"q-{generation}", 1, 1)), "s");
        }

        release.SetResult();
        var merged = await secondCall.Task;
        Assert.Equal(1000UL, merged.Generation);
        Assert.Equal(["q-1000"], merged.Added.Select(e => e.Topic));
        Assert.Equal(["q-2"], merged.Removed.Select(e => e.Topic));
        Assert.Equal(2, Volatile.Read(ref calls));
    }

    [Fact(Timeout = 5000)]
    public async Task Closing_the_client_ends_its_watchers()
    {
        var client = new SinewClient(TestClients.Options("127.0.0.1:1"));
        client.Core.Catalogue.Apply(Topology(1), "s");
        var watcher = client.WatchCatalogueAsync().GetAsyncEnumerator();
        var next = watcher.MoveNextAsync();

        await client.CloseAsync();

        Assert.False(await next);
        await Assert.ThrowsAsync<ClientClosedException>(async () => await client.GetCatalogueAsync());
    }

    private static Wire.Topology Topology(ulong generation, params (string Topic, uint Partitions, ulong RoutingVersion)[] queues) =>
        new(generation, [new Wire.BrokerInfo("b", ["127.0.0.1:7420"])],
            [.. queues.Select(q => new Wire.ChannelInfo(Wire.ChannelKind.Queue, q.Topic, null, q.Partitions, q.RoutingVersion))]);
}
