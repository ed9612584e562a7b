// Consuming with manual acknowledgement: ack what succeeds, retry what fails transiently.
namespace Sinew.Client.Examples;

internal static class ConsumeExample
{
    public static async Task RunAsync(string broker, TextWriter output, CancellationToken cancellationToken)
    {
        await using var client = await SinewClient.ConnectAsync(ExampleRunner.Options(broker), cancellationToken);
        var topic = ExampleRunner.UniqueTopic("consume");
        await client.DeclareQueueAsync(topic, new QueueOptions { MaxRetries = 3 }, cancellationToken);

        await using (var publisher = client.CreatePublisher(topic))
        {
            for (var i = 1; i <= 4; i++)
            {
                await publisher.PublishAsync(OutgoingMessage.FromText($"job {i}"), cancellationToken);
            }
        }

        await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { Prefetch = 10 }, cancellationToken);
        var done = 0;
        await foreach (var delivery in subscription.WithCancellation(cancellationToken))
        {
            // Even jobs fail on their first attempt, as a flaky dependency would; the broker redelivers them.
            var job = delivery.Text;
            if (delivery.Attempt == 1 && int.Parse(job[4..], System.Globalization.CultureInfo.InvariantCulture) % 2 == 0)
            {
                await output.WriteLineAsync($"{job}: attempt {delivery.Attempt} failed, retrying");
                await delivery.RetryAsync(cancellationToken: cancellationToken);
                continue;
            }

            await delivery.AckAsync(cancellationToken);
            await output.WriteLineAsync($"{job}: done on attempt {delivery.Attempt}");
            if (++done == 4)
            {
                break;
            }
        }
    }
}
