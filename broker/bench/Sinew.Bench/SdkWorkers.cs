// The benchmark's producers and consumers written with the C# client, the way an application would use
// it: pipelined confirmations on a Publisher, an async-enumerated Subscription with one ack per message.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using Sinew.Client;

namespace Sinew.Bench;

internal static class SdkWorkers
{
    private static SinewClientOptions Options(IPEndPoint endpoint, string name) => new()
    {
        Endpoints = [endpoint.ToString()],
        ClientName = name,
        Reconnect = ReconnectPolicy.Disabled,
    };

    public static async Task DeclareAsync(IPEndPoint endpoint, int partitions, params string[] queues)
    {
        await using var client = await SinewClient.ConnectAsync(Options(endpoint, "sinew-bench-setup"));
        foreach (var queue in queues)
        {
            await client.DeclareQueueAsync(queue, new QueueOptions { Partitions = partitions, DeadLetter = DeadLetterPolicy.Discard });
        }
    }

    /// <summary>Publishes <paramref name="count"/> confirmed messages keeping <paramref name="inflight"/>
    /// unconfirmed, optionally paced at <paramref name="ratePerSecond"/>. Each payload starts with the send time.</summary>
    public static async Task ProduceAsync(IPEndPoint endpoint, string queue, int count, int inflight, int size, double? ratePerSecond)
    {
        await using var client = await SinewClient.ConnectAsync(Options(endpoint, "sinew-bench-producer"));
        await using var publisher = client.CreatePublisher(queue);
        // The client copies the payload into its frame buffer before PublishWithConfirmationAsync returns, so one
        // buffer serves every message.
        var payload = new byte[size];
        var message = new OutgoingMessage(payload);
        var window = new Queue<Task<PublishReceipt>>(inflight);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            if (ratePerSecond is { } rate)
            {
                await PaceAsync(started, i, rate);
            }

            if (window.Count == inflight)
            {
                await window.Dequeue();
            }

            BinaryPrimitives.WriteInt64LittleEndian(payload, Stopwatch.GetTimestamp());
            window.Enqueue((await publisher.PublishWithConfirmationAsync(message)).Completion);
        }

        await Task.WhenAll(window).WaitAsync(TimeSpan.FromMinutes(5));
    }

    /// <summary>Consumes until <paramref name="total"/> messages arrived across all consumers, acking each one
    /// without waiting for the broker's answer before taking the next (the client coalesces the acks).</summary>
    public static async Task ConsumeAsync(IPEndPoint endpoint, string queue, int consumers, int prefetch, int partitions, int total,
        LatencyRecorder? latencies, TaskCompletionSource? subscribed = null)
    {
        var received = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var clients = new List<SinewClient>();
        var loops = new List<Task>();
        var ready = 0;
        try
        {
            for (var c = 0; c < consumers; c++)
            {
                var client = await SinewClient.ConnectAsync(Options(endpoint, "sinew-bench-consumer"));
                clients.Add(client);
                // The client subscribes once per partition; split the consumer's prefetch between them so each
                // consumer holds at most `prefetch` unsettled messages, as the raw-protocol consumer does.
                var subscription = await client.SubscribeAsync(queue, new SubscribeOptions { Prefetch = Math.Max(1, prefetch / partitions) });
                if (Interlocked.Increment(ref ready) == consumers)
                {
                    subscribed?.TrySetResult();
                }

                loops.Add(ConsumeLoopAsync(subscription));
            }

            await Task.WhenAll(loops);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }

        async Task ConsumeLoopAsync(Subscription subscription)
        {
            var acks = new List<Task>();
            await using (subscription)
            {
                try
                {
                    await foreach (var delivery in subscription.WithCancellation(stop.Token))
                    {
                        latencies?.Record(Stopwatch.GetTimestamp() - BinaryPrimitives.ReadInt64LittleEndian(delivery.Payload.Span));
                        acks.Add(delivery.AckAsync());
                        if (acks.Count >= 4096)
                        {
                            await Task.WhenAll(acks);
                            acks.Clear();
                        }

                        if (Interlocked.Increment(ref received) >= total)
                        {
                            await stop.CancelAsync();
                        }
                    }
                }
                catch (OperationCanceledException) when (Volatile.Read(ref received) >= total)
                {
                    // Every message arrived; the other consumers stop here too.
                }

                await Task.WhenAll(acks);
            }
        }
    }

    private static async Task PaceAsync(long started, int index, double rate)
    {
        var due = started + (long)(index / rate * Stopwatch.Frequency);
        var wait = due - Stopwatch.GetTimestamp();
        if (wait > Stopwatch.Frequency / 1000)
        {
            await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
        }
    }
}
