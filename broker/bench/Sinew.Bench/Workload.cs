// The standard workload's parts, through the client the settings name: declaring queues, producers publishing
// confirmed messages, consumers acking every message.
using System.Net;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Bench;

internal static class Workload
{
    public static Task DeclareAsync(BenchSettings s, BrokerUnderTest broker, params string[] queues) => s.Client == "sdk"
        ? SdkWorkers.DeclareAsync(broker.Endpoint, (int)s.Partitions, queues)
        : DeclareRawAsync(broker.Endpoint, s.Partitions, queues);

    /// <summary>One producer's share of a phase.</summary>
    public static Task ProduceAsync(BenchSettings s, BrokerUnderTest broker, string queue, int count, double? rate) => s.Client == "sdk"
        ? SdkWorkers.ProduceAsync(broker.Endpoint, queue, count, s.Inflight, s.Size, rate)
        : Workers.ProduceAsync(broker.Endpoint, queue, count, s.Inflight, s.Size, rate);

    /// <summary><paramref name="total"/> messages split between the producers, at full speed.</summary>
    public static Task ProduceAllAsync(BenchSettings s, BrokerUnderTest broker, string queue, int total) =>
        Task.WhenAll(Split(total, s.Producers).Select(n => ProduceAsync(s, broker, queue, n, null)));

    /// <summary>The consumers, until <paramref name="total"/> messages arrived between them.</summary>
    public static Task ConsumeAllAsync(BenchSettings s, BrokerUnderTest broker, string queue, int total, LatencyRecorder? latencies = null) =>
        s.Client == "sdk"
            ? SdkWorkers.ConsumeAsync(broker.Endpoint, queue, s.Consumers, s.Prefetch, (int)s.Partitions, total, latencies)
            : Workers.ConsumeAsync(broker.Endpoint, queue, s.Consumers, s.Prefetch, total, latencies);

    public static IEnumerable<int> Split(int total, int parts) => Enumerable.Range(0, parts).Select(i => total / parts + (i < total % parts ? 1 : 0));

    private static async Task DeclareRawAsync(IPEndPoint endpoint, uint partitions, params string[] queues)
    {
        var replies = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var connection = await BenchConnection.OpenAsync(endpoint, frame =>
        {
            if (frame.Message is Error error)
            {
                done.TrySetException(new InvalidOperationException(error.Message));
            }
            // Count replies only: the broker also pushes the catalogue after each declare.
            else if (frame.Message is DeclareQueueOk && Interlocked.Increment(ref replies) == queues.Length)
            {
                done.TrySetResult();
            }
        });
        foreach (var queue in queues)
        {
            connection.Send(new DeclareQueue(queue, null, partitions, new DeadLetterPolicy(DeadLetterKind.Discard)), connection.NextRequestId());
        }

        await done.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }
}
