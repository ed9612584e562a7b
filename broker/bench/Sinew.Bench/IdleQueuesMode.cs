// `--mode idle-queues`: what a queue that was used and is now idle costs the broker in memory. Declares Q queues of
// one partition, publishes one message to each and consumes it, lets the broker settle, and divides the growth
// of its resident memory by Q.
using System.Net;
using System.Text.Json;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;
using Sinew.RawProtocol;

namespace Sinew.Bench;

internal static class IdleQueuesMode
{
    // Under the broker's default limit of subscriptions per connection.
    private const int Chunk = 1000;

    public static async Task<int> RunAsync(BenchSettings s)
    {
        await using var broker = await BrokerUnderTest.StartAsync();
        var prefix = $"bench-idle-{Guid.NewGuid():N}"[..20];

        // The same work on a few queues first, so what is measured is the queues, not the code paths' first use.
        await UseQueuesAsync(broker.Endpoint, [.. Enumerable.Range(0, 20).Select(i => $"{prefix}-warm-{i}")]);
        await MemoryFigures.SettleAsync(s.SettleSeconds);
        var before = broker.RssBytes();

        var names = Enumerable.Range(0, s.Queues).Select(i => $"{prefix}-{i}").ToArray();
        for (var start = 0; start < names.Length; start += Chunk)
        {
            await UseQueuesAsync(broker.Endpoint, names[start..Math.Min(names.Length, start + Chunk)]);
        }

        await MemoryFigures.SettleAsync(s.SettleSeconds);
        var after = broker.RssBytes();
        var perQueue = MemoryFigures.PerItem(before, after, s.Queues);
        Console.WriteLine($"{s.Queues:N0} queues of one partition, each used once and now idle: broker RSS {MemoryFigures.Megabytes(before)} -> " +
                          $"{MemoryFigures.Megabytes(after)}, {perQueue:N0} B per queue");
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            mode = "idle-queues",
            queues = s.Queues,
            broker_rss_before_bytes = before,
            broker_rss_after_bytes = after,
            bytes_per_idle_queue = perQueue,
        }));
        return 0;
    }

    /// <summary>Declares each queue, publishes one confirmed message to it, consumes and acks it, and unsubscribes.</summary>
    private static async Task UseQueuesAsync(IPEndPoint endpoint, string[] queues)
    {
        var answers = 0;
        var delivered = 0;
        var phase = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscriptions = new List<ulong>();
        RawConnection? self = null;
        await using var connection = await BenchConnection.OpenAsync(endpoint, frame =>
        {
            switch (frame.Message)
            {
                case Error error:
                    phase.TrySetException(new InvalidOperationException(error.Message));
                    return;
                case Deliver deliver:
                    foreach (var message in deliver.Messages)
                    {
                        self!.Send(new Ack([message.DeliveryId]));
                    }

                    if (Interlocked.Add(ref delivered, deliver.Messages.Count) == queues.Length)
                    {
                        phase.TrySetResult();
                    }

                    return;
                case SubscribeOk ok:
                    lock (subscriptions)
                    {
                        subscriptions.Add(ok.SubscriptionId);
                    }

                    return;
                case DeclareQueueOk or PublishOk:
                    if (Interlocked.Increment(ref answers) == queues.Length)
                    {
                        phase.TrySetResult();
                    }

                    return;
            }
        });
        self = connection;

        foreach (var queue in queues)
        {
            connection.Send(new DeclareQueue(queue, null, 1, new DeadLetterPolicy(DeadLetterKind.Discard)), connection.NextRequestId());
        }

        await NextPhaseAsync();
        foreach (var queue in queues)
        {
            connection.Send(new Publish(queue, null, new PublishMessage(new byte[64])), connection.NextRequestId(), FrameFlags.Confirm);
        }

        await NextPhaseAsync();
        foreach (var queue in queues)
        {
            connection.Send(new Subscribe(queue, null, null, AckMode.Manual, 1), connection.NextRequestId());
        }

        await phase.Task.WaitAsync(TimeSpan.FromMinutes(5));
        lock (subscriptions)
        {
            foreach (var id in subscriptions)
            {
                connection.Send(new Unsubscribe(id), connection.NextRequestId());
            }
        }

        await connection.RequestAsync(Ping.Instance, timeout: TimeSpan.FromMinutes(1));

        async Task NextPhaseAsync()
        {
            await phase.Task.WaitAsync(TimeSpan.FromMinutes(5));
            answers = 0;
            phase = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }
}
