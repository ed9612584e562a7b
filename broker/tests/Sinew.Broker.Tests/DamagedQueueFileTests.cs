// A queue whose queue.json is damaged or missing: only that queue is quarantined (named, with the file
// and the problem), every other queue serves, and nothing re-creates the queue over its data.
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sinew.Broker.Tests.Support;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;
using Sinew.Testing;

namespace Sinew.Broker.Tests;

public class DamagedQueueFileTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static readonly DeclareQueue DeclareDamaged = new("damaged", null, 1, new DeadLetterPolicy(DeadLetterKind.Discard), null, null, null);

    [Theory(Timeout = 60_000)]
    [InlineData("truncated", "not valid JSON")]
    [InlineData("array", "holds a JSON array, not an object")]
    [InlineData("partitions as text", "\"partitions\" is a string (\"1\"), not a number")]
    [InlineData("lease missing", "\"lease_ms\" is missing")]
    [InlineData("invalid topic", "\"topic\" is \"dam aged\", which is not a valid name (whitespace)")]
    [InlineData("other topic", "names queue elsewhere, whose directory is elsewhere-")]
    [InlineData("no partitions", "\"partitions\" is 0, not a whole number from 1 to 65536")]
    [InlineData("short lease", "\"lease_ms\" is 5, not a whole number at least 100")]
    [InlineData("unknown dead-letter kind", "\"dead_letter.kind\" is \"bin\", not discard, global or queue")]
    public async Task A_damaged_queue_json_quarantines_only_that_queue_and_names_the_file_and_the_problem(string damage, string problem)
    {
        await using var broker = await TestBroker.StartAsync();
        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("damaged");
            await client.DeclareAsync("healthy");
            await client.PublishAsync("damaged", Bytes("kept"));
            await client.PublishAsync("healthy", Bytes("h0"));
        }

        await broker.Host.StopAsync();
        var file = DataFiles.QueueFile(broker.DataDir, "damaged");
        await File.WriteAllTextAsync(file, Damage(await File.ReadAllTextAsync(file), damage));
        var damagedFile = await File.ReadAllBytesAsync(file);
        var segment = DataFiles.LastSegment(broker.DataDir, "damaged");
        var segmentBytes = await File.ReadAllBytesAsync(segment);
        await broker.RestartAsync();

        await using var after = await broker.ConnectAsync();
        Assert.Equal(1UL, (await after.PublishAsync("healthy", Bytes("h1"))).Offset);
        var relativeFile = Path.GetRelativePath(broker.DataDir, file);
        var error = await after.FailAsync(new Publish("damaged", null, new PublishMessage(Bytes("x"))), ErrorCode.Quarantined, FrameFlags.Confirm);
        Assert.Contains($"{relativeFile}: {problem}", error.Message, StringComparison.Ordinal);
        Assert.Equal("damaged", error.Details!["topic"]);
        await after.FailAsync(new Subscribe("damaged", null, null, AckMode.Manual, 10), ErrorCode.Quarantined);

        // Declaring the name again must not start a fresh queue over the old one's data.
        await after.FailAsync(DeclareDamaged, ErrorCode.Quarantined);
        Assert.Equal(damagedFile, await File.ReadAllBytesAsync(file));
        Assert.Equal(segmentBytes, await File.ReadAllBytesAsync(segment));

        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        var (status, problems) = await ReadinessAsync(http);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains(problems, p => p.Contains($"{relativeFile}: {problem}", StringComparison.Ordinal));
        Assert.Contains(broker.Log.Lines, line => line.StartsWith("Error", StringComparison.Ordinal)
            && line.Contains($"{file}: {problem}", StringComparison.Ordinal));
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("sinew_queues_quarantined 1", metrics, StringComparison.Ordinal);
        Assert.Contains("sinew_queues 3", metrics, StringComparison.Ordinal); // damaged, healthy and the broker's $dead-letters
    }

    private static string Damage(string json, string damage)
    {
        if (damage == "truncated")
        {
            return json[..(json.Length / 2)];
        }

        if (damage == "array")
        {
            return $"[{json}]";
        }

        var queue = JsonNode.Parse(json)!.AsObject();
        switch (damage)
        {
            case "partitions as text":
                queue["partitions"] = "1";
                break;
            case "lease missing":
                queue.Remove("lease_ms");
                break;
            case "invalid topic":
                queue["topic"] = "dam aged";
                break;
            case "other topic":
                queue["topic"] = "elsewhere";
                break;
            case "no partitions":
                queue["partitions"] = 0;
                break;
            case "short lease":
                queue["lease_ms"] = 5;
                break;
            case "unknown dead-letter kind":
                queue["dead_letter"]!["kind"] = "bin";
                break;
            default:
                throw new ArgumentException($"no damage called {damage}", nameof(damage));
        }

        return queue.ToJsonString();
    }

    [Fact(Timeout = 60_000)]
    public async Task A_deleted_queue_json_quarantines_its_queue_and_its_messages_come_back_once_the_file_is_restored()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("orders", partitions: 2);
            await client.DeclareAsync("other");
            for (var i = 0; i < 4; i++)
            {
                await client.PublishAsync("orders", Bytes($"m{i}"));
            }
        }

        await broker.Host.StopAsync();
        var file = DataFiles.QueueFile(broker.DataDir, "orders");
        var saved = await File.ReadAllBytesAsync(file);
        File.Delete(file);
        await broker.RestartAsync();

        await using (var after = await broker.ConnectAsync())
        {
            var relativeFile = Path.GetRelativePath(broker.DataDir, file);
            var error = await after.FailAsync(new Publish("orders", null, new PublishMessage(Bytes("x"))), ErrorCode.Quarantined, FrameFlags.Confirm);
            Assert.Contains($"{relativeFile}: missing, but the directory still holds p0, p1", error.Message, StringComparison.Ordinal);
            await after.FailAsync(new DeclareQueue("orders", null, 2, new DeadLetterPolicy(DeadLetterKind.Discard), null, null, null), ErrorCode.Quarantined);
            Assert.False(File.Exists(file));
            Assert.Equal(0UL, (await after.PublishAsync("other", Bytes("fine"))).Offset);

            using var http = new HttpClient { BaseAddress = broker.HttpBase };
            var (status, problems) = await ReadinessAsync(http);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Contains(problems, p => p.Contains($"{relativeFile}: missing", StringComparison.Ordinal));
            Assert.Contains(broker.Log.Lines, line => line.Contains($"{file}: missing", StringComparison.Ordinal));
        }

        // The operator puts the file back: the queue and every confirmed message return.
        await broker.Host.StopAsync();
        await File.WriteAllBytesAsync(file, saved);
        await broker.RestartAsync();
        await using var repaired = await broker.ConnectAsync();
        await repaired.SubscribeAsync("orders", ackMode: AckMode.Auto);
        var received = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            received.Add(Encoding.UTF8.GetString((await repaired.NextDeliveryAsync()).Payload.Span));
        }

        Assert.Equal(["m0", "m1", "m2", "m3"], received.Order(StringComparer.Ordinal));
        await broker.Host.Context.Verification.Completion;
        using var afterRepair = new HttpClient { BaseAddress = broker.HttpBase };
        Assert.Equal(HttpStatusCode.OK, (await ReadinessAsync(afterRepair)).Status);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_queue_directory_left_by_an_interrupted_declare_is_ignored_and_the_name_can_be_declared()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("orders");
        }

        await broker.Host.StopAsync();
        // What a crash between creating the directory and renaming queue.json into place leaves.
        var directory = DataFiles.QueueDirectory(broker.DataDir, "orders");
        Directory.Delete(directory, recursive: true);
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "queue.json.tmp"), "{\"topic\": \"ord");
        await broker.RestartAsync();

        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        Assert.Equal(HttpStatusCode.OK, (await ReadinessAsync(http)).Status);
        await using var after = await broker.ConnectAsync();
        Assert.True((await after.DeclareAsync("orders")).Created);
        Assert.Equal(0UL, (await after.PublishAsync("orders", Bytes("first"))).Offset);
    }

    [Fact(Timeout = 120_000)]
    public async Task With_recovery_set_to_refuse_a_damaged_queue_json_stops_the_broker_with_an_error_naming_the_file()
    {
        var dataDir = TempDirectory.Create("refuse-queue-file");
        await using (var broker = await BrokerProcess.StartAsync(dataDir))
        {
            await using (var client = await RawClient.ConnectAsync(broker.Endpoint))
            {
                await client.DeclareAsync("orders");
                await client.PublishAsync("orders", Bytes("kept"));
            }

            Assert.Equal(0, await broker.TerminateAsync(TimeSpan.FromSeconds(20)));
        }

        var file = DataFiles.QueueFile(dataDir, "orders");
        await File.WriteAllTextAsync(file, "{ \"topic\": ");

        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => BrokerProcess.StartAsync(dataDir, ["--set", "recovery.on_corruption=refuse"]));
        Assert.Contains("exited with code 1", failed.Message, StringComparison.Ordinal);
        Assert.Contains($"sinew-broker: could not start: {file}: not valid JSON", failed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", failed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", failed.Message, StringComparison.Ordinal);

        // The default quarantines the queue instead, and says so in the log.
        await using (var lenient = await BrokerProcess.StartAsync(dataDir))
        {
            Assert.Contains($"{file}: not valid JSON", lenient.StandardError, StringComparison.Ordinal);
            Assert.Equal(0, await lenient.TerminateAsync(TimeSpan.FromSeconds(20)));
        }

        TempDirectory.Delete(dataDir);
    }

    internal static async Task<(HttpStatusCode Status, List<string> Problems)> ReadinessAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/readyz");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var problems = body.RootElement.TryGetProperty("problems", out var list)
            ? list.EnumerateArray().Select(p => p.GetString()!).ToList()
            : [];
        return (response.StatusCode, problems);
    }
}
