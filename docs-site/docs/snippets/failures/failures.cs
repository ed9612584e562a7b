// Failures: retry a message until its last attempt, then fail it; read the copy from $dead-letters.
using Sinew.Client;

var broker = Environment.GetEnvironmentVariable("SINEW_BROKER") ?? "127.0.0.1:7420";
var topic = $"failures.{Guid.NewGuid():N}";

await using var client = await SinewClient.ConnectAsync(new SinewClientOptions
{
    Endpoints = [broker],
    ClientName = "failures",
});

// Two retries allowed; the default dead-letter policy sends dead letters to the broker's $dead-letters queue.
await client.DeclareQueueAsync(topic, new QueueOptions { MaxRetries = 2 });
Console.WriteLine($"declared queue {topic}");
await using var publisher = client.CreatePublisher(topic);
await publisher.PublishAsync(OutgoingMessage.FromJson(new { Order = 7 }));

using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
await using (var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { Prefetch = 1 }))
{
    while (true)
    {
        var delivery = await subscription.ReceiveAsync(timeout.Token);
        var progress = $"attempt {delivery.Attempt}: failures {delivery.Failures} of {delivery.MaxRetries}";
        if (!delivery.IsLastAttempt)
        {
            // A retry counts a failure; the reason travels with the message if it is dead-lettered later.
            Console.WriteLine($"{progress}, retrying");
            await delivery.RetryAsync("payment gateway timed out");
            continue;
        }

        // The next failure would dead-letter it anyway: fail it now, with the reason operators will read.
        Console.WriteLine($"{progress}, last attempt: failing");
        await delivery.FailAsync($"gave up after {delivery.Attempt} attempts");
        break;
    }
}

// $dead-letters is shared by every queue with the default policy. Other queues' dead letters are passed over
// unsettled: they go back to $dead-letters when this subscription closes.
await using (var deadLetters = await client.SubscribeAsync("$dead-letters"))
{
    while (true)
    {
        var copy = await deadLetters.ReceiveAsync(timeout.Token);
        if (copy.Headers.GetValueOrDefault("sinew.dlq.source_topic") != topic)
        {
            continue;
        }

        Console.WriteLine($"dead letter from {topic}: {copy.Headers["sinew.dlq.reason"]} ({copy.Headers["sinew.dlq.error"]})");
        await copy.AckAsync();
        break;
    }
}

await client.CloseAsync();
Console.WriteLine("closed");
