// Partitions: keyed messages keep their order per key; one subscription consumes every partition.
namespace Sinew.Client.Examples;

internal static class PartitionsExample
{
    public static async Task RunAsync(string broker, TextWriter output, CancellationToken cancellationToken)
    {
        await using var client = await SinewClient.ConnectAsync(ExampleRunner.Options(broker), cancellationToken);
        var topic = ExampleRunner.UniqueTopic("partitions");
        var queue = await client.DeclareQueueAsync(topic, new QueueOptions { Partitions = 4 }, cancellationToken);
        await output.WriteLineAsync($"queue has {queue.Partitions} partitions");

        await using (var publisher = client.CreatePublisher(topic))
        {
            foreach (var customer in new[] { "alice", "bob", "carol" })
            {
                for (var step = 1; step <= 3; step++)
                {
                    var receipt = await publisher.PublishAsync(OutgoingMessage.FromText($"{customer}:{step}").WithKey(customer), cancellationToken);
                    await output.WriteLineAsync($"{customer} step {step} -> partition {receipt.Partition}");
                }
            }
        }

        await using var subscription = await client.SubscribeAsync(topic, cancellationToken: cancellationToken);
        var lastStep = new Dictionary<string, int>();
        var received = 0;
        await foreach (var delivery in subscription.WithCancellation(cancellationToken))
        {
            var parts = delivery.Text.Split(':');
            var step = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            if (lastStep.TryGetValue(parts[0], out var previous) && previous > step)
            {
                throw new InvalidOperationException($"{parts[0]}'s messages arrived out of order.");
            }

            lastStep[parts[0]] = step;
            await delivery.AckAsync(cancellationToken);
            if (++received == 9)
            {
                break;
            }
        }

        await output.WriteLineAsync("every customer's messages arrived in order");
    }
}
