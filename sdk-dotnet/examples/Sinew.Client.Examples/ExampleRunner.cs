// Picks an example by name and runs it against the broker named on the command line, in SINEW_BROKER, or
// 127.0.0.1:7420. Every example finishes on its own within a bounded time and exits 0 on success.
namespace Sinew.Client.Examples;

internal static class ExampleRunner
{
    public const string BrokerVariable = "SINEW_BROKER";

    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static readonly Dictionary<string, Func<string, TextWriter, CancellationToken, Task>> Examples = new(StringComparer.Ordinal)
    {
        ["publish"] = PublishExample.RunAsync,
        ["consume"] = ConsumeExample.RunAsync,
        ["confirmed-delayed"] = ConfirmedDelayedExample.RunAsync,
        ["partitions"] = PartitionsExample.RunAsync,
    };

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        var name = args.Length > 0 ? args[0] : "all";
        var broker = args.Length > 1 ? args[1] : Environment.GetEnvironmentVariable(BrokerVariable);
        if (string.IsNullOrEmpty(broker))
        {
            broker = SinewClientOptions.DefaultEndpoint;
        }

        var selected = name == "all" ? [.. Examples.Keys] : new[] { name };
        if (selected.Any(n => !Examples.ContainsKey(n)))
        {
            await output.WriteLineAsync($"usage: sinew-examples [all|{string.Join('|', Examples.Keys)}] [broker-address]");
            return 2;
        }

        using var limit = new CancellationTokenSource(Limit);
        try
        {
            foreach (var example in selected)
            {
                await output.WriteLineAsync($"== {example} (broker {broker})");
                await Examples[example](broker, output, limit.Token);
            }

            return 0;
        }
        catch (Exception e) when (e is SinewException or OperationCanceledException)
        {
            await output.WriteLineAsync($"failed: {e.Message}");
            return 1;
        }
    }

    /// <summary>A queue name unique to this run, so examples never see each other's leftovers.</summary>
    public static string UniqueTopic(string name) => $"examples.{name}.{Guid.NewGuid():N}";

    public static SinewClientOptions Options(string broker) => new()
    {
        Endpoints = [broker],
        ClientName = "sinew-examples",
        ConnectTimeout = TimeSpan.FromSeconds(5),
        RequestTimeout = TimeSpan.FromSeconds(10),
    };
}
