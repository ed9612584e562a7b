// Routing view: read the client's live catalogue, watch it change when another client declares a queue, and
// publish by it.
using Sinew.Client;

var broker = Environment.GetEnvironmentVariable("SINEW_BROKER") ?? "127.0.0.1:7420";
var topic = $"routing-view.{Guid.NewGuid():N}";
var options = new SinewClientOptions { Endpoints = [broker], ClientName = "routing-view" };

await using var client = await SinewClient.ConnectAsync(options);

// The first read asks the broker once; from then on the broker's pushes keep the view live.
var catalogue = await client.GetCatalogueAsync();
Console.WriteLine($"catalogue generation {catalogue.Generation}: watching for changes");

// A handler hears every change; a watcher reads them at its own pace, merged if it falls behind.
var heard = new TaskCompletionSource<CatalogueEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
client.CatalogueChanged += (_, change) =>
{
    if (change.Added.FirstOrDefault(e => e.Topic == topic) is { } entry)
    {
        heard.TrySetResult(entry);
    }
};
using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
await using var changes = client.WatchCatalogueAsync(timeout.Token).GetAsyncEnumerator();

// Another application declares a queue.
await using (var other = await SinewClient.ConnectAsync(options))
{
    await other.DeclareQueueAsync(topic, new QueueOptions { Partitions = 3 });
    Console.WriteLine($"declared {topic} with 3 partitions from another client");
}

CatalogueEntry? added = null;
while (added is null && await changes.MoveNextAsync())
{
    added = changes.Current.Added.FirstOrDefault(e => e.Topic == topic);
}

Console.WriteLine($"change: added {added!.Topic} ({added.Partitions} partitions, routing version {added.RoutingVersion})");
Console.WriteLine($"handler: added {(await heard.Task.WaitAsync(timeout.Token)).Topic}");

// Reading the catalogue again costs no round trip.
var listed = (await client.GetCatalogueAsync()).Find(topic)!;
Console.WriteLine($"catalogue lists {listed.Topic}: {listed.Partitions} partitions, routing version {listed.RoutingVersion}");

// Publishers route by the live catalogue and stamp the entry's routing version.
var receipt = await client.CreatePublisher(topic).PublishAsync(OutgoingMessage.FromText("hello").WithKey("customer-7"));
Console.WriteLine($"published with key customer-7 to partition {receipt.Partition}");

await client.CloseAsync();
Console.WriteLine("closed");
