// sinew-bench --mode topology: what a large catalogue costs connections. Declares --queues queues, then opens
// --connections connections and measures each handshake and each TopologyRequest (the whole catalogue); then
// declares one queue at a time, --pushes times, a quiet second apart, and measures how long until every
// connection has been pushed the Topology of the new generation (TopologyWatcher). The broker's resident memory is read before the
// connections, after them, and after the pushes.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;
using Sinew.RawProtocol;

namespace Sinew.Bench;

internal sealed record TopologySettings(int Queues, int Connections, int Pushes, IPEndPoint? Broker)
{
    public const string Usage = """
        usage: sinew-bench --mode topology [options]

          --queues N         queues in the catalogue (default 10000)
          --connections N    connections that are pushed each change (default 200)
          --pushes N         single declares measured, one second apart (default 5)
          --broker HOST:PORT measure a running broker instead of starting one
        """;

    public static TopologySettings Parse(IReadOnlyDictionary<string, string> values)
    {
        int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        return new TopologySettings(Int("queues", 10_000), Int("connections", 200), Int("pushes", 5),
            values.TryGetValue("broker", out var broker) ? IPEndPoint.Parse(broker) : null);
    }
}

internal static class TopologyBench
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);

    public static async Task<int> RunAsync(TopologySettings s)
    {
        Console.WriteLine($"sinew-bench topology: {s.Queues:N0} queues, {s.Connections} connections, {s.Pushes} single declares, {Environment.ProcessorCount} cores");
        await using var broker = s.Broker is { } address ? BrokerUnderTest.Existing(address) : await BrokerUnderTest.StartAsync();
        var prefix = $"topo-{Guid.NewGuid():N}"[..13];
        var setup = Stopwatch.StartNew();
        await DeclareManyAsync(broker.Endpoint, Enumerable.Range(0, s.Queues).Select(i => $"{prefix}-{i:D6}").ToList());
        Console.WriteLine($"declared {s.Queues:N0} queues in {setup.Elapsed.TotalSeconds:F1} s");
        var rssBefore = broker.RssBytes();

        var watchers = new List<TopologyWatcher>();
        var handshakes = new List<double>();
        var requests = new List<double>();
        byte[] catalogueFrame = [];
        try
        {
            for (var i = 0; i < s.Connections; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var watcher = await TopologyWatcher.OpenAsync(broker.Endpoint);
                handshakes.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                watchers.Add(watcher);
                started = Stopwatch.GetTimestamp();
                catalogueFrame = await watcher.RequestTopologyAsync();
                requests.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            var decoded = (Topology)FrameDecoder.Decode(catalogueFrame, 16 << 20).Message;
            if (decoded.Channels.Count < s.Queues)
            {
                throw new InvalidOperationException($"the topology lists {decoded.Channels.Count} channels, not {s.Queues}");
            }

            var decodeMs = DecodeMilliseconds(catalogueFrame);
            var rssConnected = broker.RssBytes();
            var pushes = new List<double>();
            await using var declarer = await BenchConnection.OpenAsync(broker.Endpoint, _ => { });
            for (var p = 0; p < s.Pushes; p++)
            {
                // A quiet second first, so each declare is pushed as a change after a quiet spell, not mid-burst.
                await Task.Delay(TimeSpan.FromSeconds(1));
                foreach (var watcher in watchers)
                {
                    watcher.AwaitNextGeneration();
                }

                var started = Stopwatch.GetTimestamp();
                var reply = await declarer.RequestAsync(new DeclareQueue($"{prefix}-push-{p}", null, 1, new DeadLetterPolicy(DeadLetterKind.Discard)));
                var replied = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (reply.Message is not DeclareQueueOk)
                {
                    throw new InvalidOperationException($"DeclareQueue was answered {RawConnection.Describe(reply)}");
                }

                var arrivals = await Task.WhenAll(watchers.Select(w => w.Arrived.WaitAsync(TimeSpan.FromSeconds(30))));
                var first = Stopwatch.GetElapsedTime(started, arrivals.Min()).TotalMilliseconds;
                var last = Stopwatch.GetElapsedTime(started, arrivals.Max()).TotalMilliseconds;
                pushes.Add(last);
                Console.WriteLine($"push {p + 1}: declare answered after {replied:F1} ms; the first connection had the push after {first:F1} ms, the last after {last:F1} ms");
            }

            var rssPushed = broker.RssBytes();
            var perConnection = rssBefore is { } b && rssConnected is { } c ? (c - b) / (double)s.Connections : (double?)null;
            Console.WriteLine();
            Console.WriteLine($"  topology frame            {catalogueFrame.Length / 1024.0,10:F0} KiB ({decoded.Channels.Count:N0} channels); decoding it in C# takes {decodeMs:F1} ms");
            Console.WriteLine($"  handshake                 p50 {Percentile(handshakes, 50):F2} ms   max {handshakes.Max():F2} ms");
            Console.WriteLine($"  TopologyRequest (all)     p50 {Percentile(requests, 50):F2} ms   max {requests.Max():F2} ms");
            Console.WriteLine($"  push to {s.Connections} connections    p50 {Percentile(pushes, 50):F1} ms   max {pushes.Max():F1} ms (declare sent until the last connection has the frame)");
            Console.WriteLine($"  broker RSS                {Mb(rssBefore)} before connecting, {Mb(rssConnected)} with {s.Connections} connections, {Mb(rssPushed)} after the pushes");
            Console.WriteLine($"  RSS per connection        {(perConnection is { } pc ? $"{pc / 1024:F0} KiB" : "n/a")}");
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                queues = s.Queues,
                connections = s.Connections,
                topology_frame_bytes = catalogueFrame.Length,
                topology_decode_ms = Math.Round(decodeMs, 3),
                handshake_p50_ms = Math.Round(Percentile(handshakes, 50), 3),
                handshake_max_ms = Math.Round(handshakes.Max(), 3),
                topology_request_p50_ms = Math.Round(Percentile(requests, 50), 3),
                topology_request_max_ms = Math.Round(requests.Max(), 3),
                push_p50_ms = Math.Round(Percentile(pushes, 50), 3),
                push_max_ms = Math.Round(pushes.Max(), 3),
                broker_rss_before_bytes = rssBefore,
                broker_rss_connected_bytes = rssConnected,
                broker_rss_after_pushes_bytes = rssPushed,
            }));
            return 0;
        }
        finally
        {
            foreach (var watcher in watchers)
            {
                await watcher.DisposeAsync();
            }
        }
    }

    // What each client pays per push on top of the broker's delivery: the median of five decodes.
    private static double DecodeMilliseconds(byte[] frame)
    {
        var times = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var started = Stopwatch.GetTimestamp();
            _ = FrameDecoder.Decode(frame, 16 << 20);
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return Percentile(times, 50);
    }

    private static string Mb(long? bytes) => bytes is { } b ? $"{b / (1024.0 * 1024):F0} MB" : "n/a";

    private static double Percentile(List<double> values, double percentile)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    // Pipelined over one connection, at most 256 unanswered; the broker declares one at a time anyway.
    private static async Task DeclareManyAsync(IPEndPoint endpoint, List<string> queues)
    {
        using var window = new SemaphoreSlim(256);
        var answered = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var connection = await BenchConnection.OpenAsync(endpoint, frame =>
        {
            switch (frame.Message)
            {
                case Error error:
                    done.TrySetException(new InvalidOperationException($"a declare failed: {error.Message}"));
                    break;
                case DeclareQueueOk:
                    window.Release();
                    if (Interlocked.Increment(ref answered) == queues.Count)
                    {
                        done.TrySetResult();
                    }

                    break;
            }
        });
        foreach (var queue in queues)
        {
            await window.WaitAsync();
            connection.Send(new DeclareQueue(queue, null, 1, new DeadLetterPolicy(DeadLetterKind.Discard)), connection.NextRequestId());
        }

        await done.Task.WaitAsync(Patience);
    }
}
