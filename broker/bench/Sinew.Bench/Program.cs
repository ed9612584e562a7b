// sinew-bench: measures a broker with the standard workload and prints the figures.
//
//   dotnet run -c Release --project broker/bench/Sinew.Bench -- [--messages 200000] [--size 1024]
//       [--producers 4] [--inflight 256] [--consumers 4] [--prefetch 1024] [--partitions 4]
//       [--rate 5000] [--rate-seconds 10] [--warmup N] [--runs 3] [--broker HOST:PORT] [--client sdk|raw]
//       [--mode throughput|backlog|idle-queues|connections] [--queues 2000] [--connections 2000] [--settle-seconds 15]
//   dotnet run -c Release --project broker/bench/Sinew.Bench -- --mode topology [--queues 10000]
//       [--connections 200] [--pushes 5] [--broker HOST:PORT]
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
//
// The other modes measure the broker's memory instead (BacklogMode, IdleQueuesMode, ConnectionsMode), and
// `--mode topology` what a large catalogue costs connections (TopologyBench.cs).
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

if (args.Length >= 2 && args[0] == "--mode" && args[1] == "topology")
{
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

if (settings.Mode != "throughput" && settings.Broker is not null)
{
    await Console.Error.WriteLineAsync($"sinew-bench: --mode {settings.Mode} reads the memory of a broker it starts itself; it cannot use --broker");
    return 2;
}

switch (settings.Mode)
{
    case "backlog":
        return await BacklogMode.RunAsync(settings);
    case "idle-queues":
        return await IdleQueuesMode.RunAsync(settings);
    case "connections":
        return await ConnectionsMode.RunAsync(settings);
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
    await Workload.DeclareAsync(s, broker, warmupQueue, backlogQueue, concurrentQueue, latencyQueue);

    // 0. warm-up, not measured: the same publish and consume paths, on a queue of its own.
    if (s.Warmup > 0)
    {
        var warm = Workload.ConsumeAllAsync(s, broker, warmupQueue, s.Warmup);
        await Workload.ProduceAllAsync(s, broker, warmupQueue, s.Warmup);
        await warm;
    }

    // 1. publish-confirmed into an empty queue with no consumers.
    var stopwatch = Stopwatch.StartNew();
    await Workload.ProduceAllAsync(s, broker, backlogQueue, s.Messages);
    var publish = s.Messages / stopwatch.Elapsed.TotalSeconds;

    // 2. drain that backlog.
    var latencies = new LatencyRecorder();
    stopwatch.Restart();
    await Workload.ConsumeAllAsync(s, broker, backlogQueue, s.Messages);
    var drain = s.Messages / stopwatch.Elapsed.TotalSeconds;
    var peakWithBacklog = broker.PeakRssBytes();

    // 3. producers and consumers together.
    stopwatch.Restart();
    var consumers = Workload.ConsumeAllAsync(s, broker, concurrentQueue, s.Messages);
    await Workload.ProduceAllAsync(s, broker, concurrentQueue, s.Messages);
    await consumers;
    var concurrent = s.Messages / stopwatch.Elapsed.TotalSeconds;

    // 4. end-to-end latency at a fixed rate.
    var total = s.Rate * s.RateSeconds;
    var paced = Workload.ConsumeAllAsync(s, broker, latencyQueue, total, latencies);
    await Task.WhenAll(Workload.Split(total, s.Producers).Select(n => Workload.ProduceAsync(s, broker, latencyQueue, n, (double)s.Rate / s.Producers)));
    await paced;

    return new RunResult(publish, drain, concurrent, latencies.Percentile(50), latencies.Percentile(99),
        Max(peakWithBacklog, broker.PeakRssBytes()));
}

static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

internal sealed record BenchSettings(int Messages, int Size, int Producers, int Inflight, int Consumers, int Prefetch, uint Partitions,
    int Rate, int RateSeconds, int Warmup, int Runs, IPEndPoint? Broker, string Client, string Mode, int Queues, int Connections,
    int SettleSeconds)
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
          --mode MODE        throughput (default): the four phases above; backlog: the broker's memory with
                             --messages waiting, after a restart, then drained; idle-queues: the memory of
                             --queues queues used once; connections: the memory of --connections idle connections
          --queues N         queues of the idle-queues mode (default 2000)
          --connections N    connections of the connections mode (default 2000)
          --settle-seconds N how long the memory modes wait before each reading (default 15)
        """;

    private static readonly HashSet<string> Known =
        ["messages", "size", "producers", "inflight", "consumers", "prefetch", "partitions", "rate", "rate-seconds", "warmup", "runs", "broker", "client",
         "mode", "queues", "connections", "settle-seconds"];

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

        if (values.TryGetValue("mode", out var mode) && mode is not ("throughput" or "backlog" or "idle-queues" or "connections"))
        {
            throw new ArgumentException($"--mode must be throughput, backlog, idle-queues or connections, not '{mode}'");
        }

        int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        var messages = Int("messages", 200_000);
        return new BenchSettings(messages, Int("size", 1024), Int("producers", 4), Int("inflight", 256), Int("consumers", 4),
            Int("prefetch", 1024), (uint)Int("partitions", 4), Int("rate", 5000), Int("rate-seconds", 10), Int("warmup", messages), Int("runs", 1),
            values.TryGetValue("broker", out var broker) ? IPEndPoint.Parse(broker) : null,
            values.TryGetValue("client", out var client) ? client : "sdk", mode ?? "throughput", Int("queues", 2000), Int("connections", 2000),
            Int("settle-seconds", 15));
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
