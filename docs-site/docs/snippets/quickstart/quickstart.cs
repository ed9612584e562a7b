// Quickstart: declare a queue, publish a confirmed message, receive it, acknowledge it, close.
using Sinew.Client;

var broker = Environment.GetEnvironmentVariable("SINEW_BROKER") ?? "127.0.0.1:7420";
var topic = $"quickstart.{Guid.NewGuid():N}";

await using var client = await SinewClient.ConnectAsync(new SinewClientOptions
{
    Endpoints = [broker],
    ClientName = "quickstart",
});

// Declaring is idempotent: it creates the queue, or confirms it exists with these settings.
await client.DeclareQueueAsync(topic, new QueueOptions { Partitions = 2 });
Console.WriteLine($"declared queue {topic}");

// A confirmed publish returns once the broker has the message on disk.
await using var publisher = client.CreatePublisher(topic);
var receipt = await publisher.PublishAsync(
    OutgoingMessage.FromJson(new { OrderId = 42, Item = "coffee" }).WithKey("customer-7"));
Console.WriteLine($"published: partition {receipt.Partition}, offset {receipt.Offset}");

// One subscription covers every partition; each delivery is settled exactly once.
await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { Prefetch = 10 });
using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
await foreach (var delivery in subscription.WithCancellation(timeout.Token))
{
    Console.WriteLine($"received: {delivery.Text} (attempt {delivery.Attempt})");
    await delivery.AckAsync();
    Console.WriteLine("acknowledged");
    break;
}

await client.CloseAsync();
Console.WriteLine("closed");
