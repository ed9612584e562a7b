// Many confirmed publishes in flight at once, then delayed and expiring messages.
using System.Diagnostics;

namespace Sinew.Client.Examples;

internal static class ConfirmedDelayedExample
{
    public static async Task RunAsync(string broker, TextWriter output, CancellationToken cancellationToken)
    {
        await using var client = await SinewClient.ConnectAsync(ExampleRunner.Options(broker), cancellationToken);
        var topic = ExampleRunner.UniqueTopic("delayed");
        await client.DeclareQueueAsync(topic, cancellationToken: cancellationToken);
        await using var publisher = client.CreatePublisher(topic);

        // Pipelined: hand 100 messages to the connection, then collect their confirmations.
        var confirmations = new List<PublishConfirmation>();
        for (var i = 0; i < 100; i++)
        {
            confirmations.Add(await publisher.PublishWithConfirmationAsync(OutgoingMessage.FromText($"event {i}"), cancellationToken));
        }

        foreach (var confirmation in confirmations)
        {
            await confirmation.WaitAsync(cancellationToken);
        }

        await output.WriteLineAsync($"{confirmations.Count} messages confirmed");

        // Delayed by a duration, and not before a point in time; expiring after a minute if nobody takes it.
        var clock = Stopwatch.StartNew();
        await publisher.PublishAsync(OutgoingMessage.FromText("reminder").WithDelay(TimeSpan.FromSeconds(1)), cancellationToken);
        await publisher.PublishAsync(OutgoingMessage.FromText("report").WithNotBefore(DateTimeOffset.UtcNow.AddSeconds(1)), cancellationToken);
        await publisher.PublishAsync(OutgoingMessage.FromText("offer").WithTtl(TimeSpan.FromMinutes(1)), cancellationToken);

        await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { AckMode = AckMode.Auto }, cancellationToken);
        var received = 0;
        await foreach (var delivery in subscription.WithCancellation(cancellationToken))
        {
            if (delivery.Text is "reminder" or "report")
            {
                await output.WriteLineAsync($"{delivery.Text} arrived after {clock.Elapsed.TotalSeconds:0.0} s");
            }

            if (++received == confirmations.Count + 3)
            {
                break;
            }
        }
    }
}
