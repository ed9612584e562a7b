// sinew-bench: measures a broker with the standard workload and prints the figures.
//
//   dotnet run -c Release --project broker/bench/Sinew.Bench -- [--messages 200000] [--size 1024]
//       [--producers 4] [--inflight 256] [--consumers 4] [--prefetch 1024] [--partitions 4]
//       [--rate 5000] [--rate-seconds 10] [--warmup N] [--runs 3] [--broker HOST:PORT] [--client sdk|raw]
//   dotnet run -c Release --project broker/bench/Sinew.Bench -- --mode topology [--queues 10000]
//       [--connections 200] [--pushes 5] [--broker HOST:PORT]
//
// `--mode topology` measures what a large catalogue costs connections instead (TopologyBench.cs).
//
// `--client sdk` (the default) drives the broker through the C# client, as applications do; `--client raw`
// uses a minimal protocol client instead, to tell the broker's cost from the client's.
//
// Each run first sends an unmeasured warm-up through its own queue (by default as many messages as a
// phase), so the figures describe a broker and client in their steady state, with their hot code through
// the JIT's tiers, as a long-running broker is; `--warmup 0` measures a cold start instead. Then the measured
// phases, each on a fresh queue: publish-confirmed (producers only, every publish confirmed after
// fsync), drain (consumers empty that backlog, acking every message), concurrent end-to-end
// (producers and consumers together), and latency at a fixed publish rate (publish-to-receive).
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Sinew.Bench;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

if (args.Any(a => a is "--help" or "-h" or "-?"))
{
    Console.WriteLine(BenchSettings.Usage);
    Console.WriteLine(TopologySettings.Usage);
    return 0;
}

if (args.Length >= 2 && args[0] == "--mode")
{
    if (args[1] != "topology")
    {
        await Console.Error.WriteLineAsync($"sinew-bench: --mode must be topology (or absent for the throughput workload), not '{args[1]}'");
        return 2;
    }

    TopologySettings topology;
    try
    {
        topology = TopologySettings.Parse(BenchSettings.Options(args[2..], new HashSet<string>(["queues", "connections", "pushes", "broker"])));
    }
    catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
    {
        await Console.Error.WriteLineAsync($"sinew-bench: {e.Message}\n\n{TopologySettings.Usage}");
        return 2;
    }

    return await TopologyBench.RunAsync(topology);
}

BenchSettings settings;
try
{
    settings = BenchSettings.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
{
    await Console.Error.WriteLineAsync($"sinew-bench: {e.Message}\n\n{BenchSettings.Usage}");
    return 2;
}

Console.WriteLine($"sinew-bench: {settings.Messages:N0} x {settings.Size} B, {settings.Producers} producers ({settings.Inflight} confirms in flight each), " +
                  $"{settings.Consumers} consumers (prefetch {settings.Prefetch}, ack per message), {settings.Partitions} partition(s), " +
                  $"{settings.Client} client, {settings.Warmup:N0} warm-up messages per run, {Environment.ProcessorCount} cores");

var results = new List<RunResult>();
for (var run = 1; run <= settings.Runs; run++)
{
    await using var broker = settings.Broker is { } address ? BrokerUnderTest.Existing(address) : await BrokerUnderTest.StartAsync();
    var result = await RunOnceAsync(broker, settings, run);
    results.Add(result);
    Console.WriteLine($"run {run}: publish-confirmed {result.PublishPerSecond,9:N0} msg/s | drain {result.DrainPerSecond,9:N0} msg/s | " +
                      $"concurrent {result.ConcurrentPerSecond,9:N0} msg/s | p50 {result.P50Ms:F2} ms p99 {result.P99Ms:F2} ms @ {settings.Rate} msg/s | " +
                      $"peak RSS {(result.PeakRssBytes is { } rss ? $"{rss / (1024.0 * 1024):F0} MB" : "n/a")}");
}

var median = RunResult.Median(results);
Console.WriteLine();
Console.WriteLine($"median of {results.Count} run(s):");
Console.WriteLine($"  publish-confirmed      {median.PublishPerSecond,10:N0} msg/s");
Console.WriteLine($"  drain                  {median.DrainPerSecond,10:N0} msg/s");
Console.WriteLine($"  concurrent end-to-end  {median.ConcurrentPerSecond,10:N0} msg/s");
Console.WriteLine($"  latency at {settings.Rate} msg/s   p50 {median.P50Ms:F2} ms   p99 {median.P99Ms:F2} ms");
Console.WriteLine($"  broker peak RSS        {(median.PeakRssBytes is { } peak ? $"{peak / (1024.0 * 1024):F0} MB" : "n/a")}");
Console.WriteLine(JsonSerializer.Serialize(new
{
    workload = settings,
    publish_confirmed_per_second = Math.Round(median.PublishPerSecond),
    drain_per_second = Math.Round(median.DrainPerSecond),
    concurrent_per_second = Math.Round(median.ConcurrentPerSecond),
    latency_p50_ms = Math.Round(median.P50Ms, 3),
    latency_p99_ms = Math.Round(median.P99Ms, 3),
    broker_peak_rss_bytes = median.PeakRssBytes,
    runs = results.Count,
}));
return 0;

static async Task<RunResult> RunOnceAsync(BrokerUnderTest broker, BenchSettings s, int run)
{
    var suffix = $"{run}-{Guid.NewGuid():N}"[..12];
    var backlogQueue = $"bench-backlog-{suffix}";
    var concurrentQueue = $"bench-concurrent-{suffix}";
    var latencyQueue = $"bench-latency-{suffix}";
    var warmupQueue = $"bench-warmup-{suffix}";
    var sdk = s.Client == "sdk";
    Task Produce(string queue, int count, double? rate) => sdk
        ? SdkWorkers.ProduceAsync(broker.Endpoint, queue, count, s.Inflight, s.Size, rate)
        : Workers.ProduceAsync(broker.Endpoint, queue, count, s.Inflight, s.Size, rate);
    Task Consume(string queue, int total, LatencyRecorder? latencies) => sdk
        ? SdkWorkers.ConsumeAsync(broker.Endpoint, queue, s.Consumers, s.Prefetch, (int)s.Partitions, total, latencies)
        : Workers.ConsumeAsync(broker.Endpoint, queue, s.Consumers, s.Prefetch, total, latencies);
    if (sdk)
    {
        await SdkWorkers.DeclareAsync(broker.Endpoint, (int)s.Partitions, warmupQueue, backlogQueue, concurrentQueue, latencyQueue);
    }
    else
    {
        await DeclareAsync(broker.Endpoint, s.Partitions, warmupQueue, backlogQueue, concurrentQueue, latencyQueue);
    }

    // 0. warm-up, not measured: the same publish and consume paths, on a queue of its own.
    if (s.Warmup > 0)
    {
        var warm = Consume(warmupQueue, s.Warmup, null);
        await Task.WhenAll(Split(s.Warmup, s.Producers).Select(n => Produce(warmupQueue, n, null)));
        await warm;
    }

    // 1. publish-confirmed into an empty queue with no consumers.
    var stopwatch = Stopwatch.StartNew();
    await Task.WhenAll(Split(s.Messages, s.Producers).Select(n => Produce(backlogQueue, n, null)));
    var publish = s.Messages / stopwatch.Elapsed.TotalSeconds;

    // 2. drain that backlog.
    var latencies = new LatencyRecorder();
    stopwatch.Restart();
    await Consume(backlogQueue, s.Messages, null);
    var drain = s.Messages / stopwatch.Elapsed.TotalSeconds;
    var peakWithBacklog = broker.PeakRssBytes();

    // 3. producers and consumers together.
    stopwatch.Restart();
    var consumers = Consume(concurrentQueue, s.Messages, null);
    await Task.WhenAll(Split(s.Messages, s.Producers).Select(n => Produce(concurrentQueue, n, null)));
    await consumers;
    var concurrent = s.Messages / stopwatch.Elapsed.TotalSeconds;

    // 4. end-to-end latency at a fixed rate.
    var total = s.Rate * s.RateSeconds;
    var paced = Consume(latencyQueue, total, latencies);
    await Task.WhenAll(Split(total, s.Producers).Select(n => Produce(latencyQueue, n, (double)s.Rate / s.Producers)));
    await paced;

    return new RunResult(publish, drain, concurrent, latencies.Percentile(50), latencies.Percentile(99),
        Max(peakWithBacklog, broker.PeakRssBytes()));
}

static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

static IEnumerable<int> Split(int total, int parts) => Enumerable.Range(0, parts).Select(i => total / parts + (i < total % parts ? 1 : 0));

static async Task DeclareAsync(IPEndPoint endpoint, uint partitions, params string[] queues)
{
    var replies = 0;
    var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    await using var connection = await BenchConnection.OpenAsync(endpoint, frame =>
    {
        // Count replies only: the broker also pushes the catalogue after each declare.
        if (frame.Message is Error error)
        {
            done.TrySetException(new InvalidOperationException(error.Message));
        }
        else if (frame.Message is DeclareQueueOk && Interlocked.Increment(ref replies) == queues.Length)
        {
            done.TrySetResult();
        }
    });
    foreach (var queue in queues)
    {
        connection.Send(new DeclareQueue(queue, null, partitions, new DeadLetterPolicy(DeadLetterKind.Discard)), connection.NextRequestId());
    }

    await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
}

internal sealed record BenchSettings(int Messages, int Size, int Producers, int Inflight, int Consumers, int Prefetch, uint Partitions,
    int Rate, int RateSeconds, int Warmup, int Runs, IPEndPoint? Broker, string Client)
{
    public const string Usage = """
        usage: sinew-bench [options]

          --messages N       messages per throughput phase (default 200000)
          --size BYTES       payload size (default 1024)
          --producers N      producer connections (default 4)
          --inflight N       unconfirmed publishes per producer (default 256)
          --consumers N      consumer connections (default 4)
          --prefetch N       unsettled deliveries per consumer (default 1024)
          --partitions N     partitions of each queue (default 4)
          --rate N           publish rate of the latency phase, msg/s (default 5000)
          --rate-seconds N   length of the latency phase (default 10)
          --warmup N         unmeasured messages sent through each run first (default: --messages; 0 for none)
          --runs N           runs; the summary is their median (default 1)
          --broker HOST:PORT measure a running broker instead of starting one
          --client sdk|raw   the C# client (default) or a minimal protocol client
        """;

    private static readonly HashSet<string> Known =
        ["messages", "size", "producers", "inflight", "consumers", "prefetch", "partitions", "rate", "rate-seconds", "warmup", "runs", "broker", "client"];

    /// <summary>Reads "--name value" pairs, refusing names not in <paramref name="known"/>.</summary>
    public static Dictionary<string, string> Options(string[] args, IReadOnlySet<string> known)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i += 2)
        {
            var name = args[i].StartsWith("--", StringComparison.Ordinal) ? args[i][2..] : null;
            if (name is null || !known.Contains(name))
            {
                throw new ArgumentException($"unknown option '{args[i]}'");
            }

            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{args[i]} needs a value");
            }

            values[name] = args[i + 1];
        }

        return values;
    }

    public static BenchSettings Parse(string[] args)
    {
        var values = Options(args, Known);

        if (values.TryGetValue("client", out var kind) && kind is not ("sdk" or "raw"))
        {
            throw new ArgumentException($"--client must be sdk or raw, not '{kind}'");
        }

        int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        var messages = Int("messages", 200_000);
        return new BenchSettings(messages, Int("size", 1024), Int("producers", 4), Int("inflight", 256), Int("consumers", 4),
            Int("prefetch", 1024), (uint)Int("partitions", 4), Int("rate", 5000), Int("rate-seconds", 10), Int("warmup", messages), Int("runs", 1),
            values.TryGetValue("broker", out var broker) ? IPEndPoint.Parse(broker) : null,
            values.TryGetValue("client", out var client) ? client : "sdk");
    }
}

internal sealed record RunResult(double PublishPerSecond, double DrainPerSecond, double ConcurrentPerSecond, double P50Ms, double P99Ms, long? PeakRssBytes)
{
    public static RunResult Median(List<RunResult> runs)
    {
        static T Mid<T>(IEnumerable<T> values) => values.Order().ElementAt(values.Count() / 2);
        return new RunResult(Mid(runs.Select(r => r.PublishPerSecond)), Mid(runs.Select(r => r.DrainPerSecond)),
            Mid(runs.Select(r => r.ConcurrentPerSecond)), Mid(runs.Select(r => r.P50Ms)), Mid(runs.Select(r => r.P99Ms)),
            runs.Any(r => r.PeakRssBytes is not null) ? Mid(runs.Select(r => r.PeakRssBytes ?? 0)) : null);
    }
}
