// Publishing: fire-and-forget text, a confirmed JSON message, and a confirmed batch.
namespace Sinew.Client.Examples;

internal static class PublishExample
{
    public static async Task RunAsync(string broker, TextWriter output, CancellationToken cancellationToken)
    {
        await using var client = await SinewClient.ConnectAsync(ExampleRunner.Options(broker), cancellationToken);
        var topic = ExampleRunner.UniqueTopic("publish");
        await client.DeclareQueueAsync(topic, cancellationToken: cancellationToken);

        await using var publisher = client.CreatePublisher(topic);

        // Unconfirmed: returns once the message is queued for the socket.
        await publisher.PublishUnconfirmedAsync(OutgoingMessage.FromText("hello, sinew"), cancellationToken);

        // Confirmed: returns once the broker has the message on disk.
        var receipt = await publisher.PublishAsync(
            OutgoingMessage.FromJson(new Order("A-1", 42.50m)).WithHeader("tenant", "acme"), cancellationToken);
        await output.WriteLineAsync($"order stored at partition {receipt.Partition}, offset {receipt.Offset}");

        // A batch is one frame and one confirmation.
        var receipts = await publisher.PublishBatchAsync(
            [OutgoingMessage.FromText("one"), OutgoingMessage.FromText("two"), OutgoingMessage.FromText("three")], cancellationToken);
        await output.WriteLineAsync($"batch stored at offsets {string.Join(", ", receipts.Select(r => r.Offset))}");
    }

    private sealed record Order(string Id, decimal Amount);
}
