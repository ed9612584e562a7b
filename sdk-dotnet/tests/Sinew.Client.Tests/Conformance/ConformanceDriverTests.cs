// The C# conformance driver, run in-process against the real broker: every documented step exists, steps
// produce the results DRIVERS.md describes, and errors are reported with the shared type names and fields.
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sinew.Client.Conformance;
using Sinew.Client.Tests.Broker;
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Conformance;

[Collection(ConsumingBroker.Name)]
public partial class ConformanceDriverTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 20_000)]
    public async Task Describe_names_the_client_its_version_and_every_step_of_the_driver_protocol()
    {
        var (responses, _) = await RunAsync("""{"step": "describe"}""");
        var result = Ok(responses[0]);
        Assert.Equal("csharp", (string?)result["client"]);
        Assert.Matches(@"^\d+\.\d+\.\d+", (string?)result["version"]);

        var steps = result["steps"]!.AsArray().Select(s => (string)s!).ToHashSet(StringComparer.Ordinal);
        var documented = DocumentedSteps();
        Assert.True(documented.Count >= 20, $"found only {documented.Count} steps in DRIVERS.md");
        Assert.Empty(documented.Except(steps));
    }

    [Fact(Timeout = 20_000)]
    public async Task Steps_publish_consume_and_settle_with_the_results_the_runner_expects()
    {
        var q = RealBroker.UniqueTopic("driver");
        var (responses, log) = await RunAsync(
            $$"""{"step": "connect", "client": "c", "endpoint": "{{broker.ProtocolEndpoint}}", "client_name": "driver-tests"}""",
            $$"""{"step": "declare_queue", "client": "c", "topic": "{{q}}", "partitions": 2, "max_retries": 3, "lease_ms": 20000}""",
            $$"""{"step": "create_publisher", "client": "c", "publisher": "p", "topic": "{{q}}"}""",
            """{"step": "publish", "publisher": "p", "message": {"payload": {"json": {"sku": "A-1"}}, "headers": {"tenant": "acme"}, "key": "k"}}""",
            """{"step": "publish_many", "publisher": "p", "mode": "batch", "messages": [{"payload": {"text": "b1"}}, {"payload": {"base64": "AP8=", "content_type": "application/x-raw"}}]}""",
            $$"""{"step": "subscribe", "client": "c", "subscription": "s", "topic": "{{q}}", "prefetch": 10}""",
            """{"step": "receive", "subscription": "s", "delivery": "d1"}""",
            """{"step": "receive", "subscription": "s", "delivery": "d2"}""",
            """{"step": "receive", "subscription": "s", "delivery": "d3"}""",
            """{"step": "ack", "delivery": "d1"}""",
            """{"step": "fail", "delivery": "d2", "reason": "broken"}""",
            """{"step": "extend_lease", "delivery": "d3", "by_ms": 5000}""",
            """{"step": "retry", "delivery": "d3", "reason": "busy"}""",
            """{"step": "receive", "subscription": "s", "delivery": "d4", "timeout_ms": 5000}""",
            """{"step": "retry_after", "delivery": "d4", "delay_ms": 50, "reason": "still busy"}""",
            """{"step": "receive", "subscription": "s", "delivery": "d5", "timeout_ms": 5000}""",
            """{"step": "ack", "delivery": "d5"}""",
            """{"step": "receive_none", "subscription": "s", "within_ms": 200}""",
            """{"step": "topology", "client": "c"}""",
            $$$"""{"step": "reliable_publish", "client": "c", "topic": "{{{q}}}", "producer_id": "driver-tests", "first_sequence": 7, "messages": [{"payload": {"text": "r1"}}, {"payload": {"text": "r2"}}]}""",
            $$$"""{"step": "reliable_publish", "client": "c", "topic": "{{{q}}}", "producer_id": "driver-tests", "first_sequence": 8, "messages": [{"payload": {"text": "r2"}}]}""",
            """{"step": "unsubscribe", "subscription": "s"}""",
            """{"step": "close_client", "client": "c"}""");

        Assert.False(string.IsNullOrEmpty((string?)Ok(responses[0])["server_id"]));

        var declared = Ok(responses[1]);
        Assert.True((bool)declared["created"]!);
        Assert.Equal(2, (int)declared["partitions"]!);
        Assert.Equal(3, (int)declared["max_retries"]!);
        Assert.Equal(20000, (long)declared["lease_ms"]!);
        Assert.Null(declared["default_ttl_ms"]);
        Assert.NotNull((string?)declared["dead_letter"]!["kind"]);

        var keyed = Ok(responses[3]);
        Assert.Equal((int)Sinew.Protocol.Routing.PartitionRouting.PartitionForKey("k", 2), (int)keyed["partition"]!);
        Assert.Equal("0", (string?)keyed["offset"]);
        Assert.False((bool)keyed["duplicate"]!);
        Assert.Equal(2, Ok(responses[4])["receipts"]!.AsArray().Count);

        var deliveries = responses[6..9].Select(Ok).ToList();
        var json = Assert.Single(deliveries, d => (string?)d["content_type"] == "application/json");
        Assert.Equal("""{"sku":"A-1"}""", (string?)json["payload_text"]);
        Assert.Equal("acme", (string?)json["headers"]!["tenant"]);
        Assert.Equal(1, (int)json["attempt"]!);
        Assert.True((long)json["received_at_ms"]! >= (long)json["published_at_ms"]!);
        var raw = Assert.Single(deliveries, d => (string?)d["content_type"] == "application/x-raw");
        Assert.Equal("AP8=", (string?)raw["payload_base64"]);
        Assert.Null(raw["payload_text"]);

        foreach (var settled in new[] { 9, 10, 11, 12, 14, 16, 17, 21, 22 })
        {
            Assert.Empty(Ok(responses[settled]));
        }

        Assert.All(deliveries, d => Assert.Equal((0, 3, false), ((int)d["failures"]!, (int)d["max_retries"]!, (bool)d["is_last_attempt"]!)));

        // d3 was retried and came back as d4, retried again after a delay and came back as d5; each retry is a failure.
        Assert.Equal(2, (int)Ok(responses[13])["attempt"]!);
        Assert.Equal(3, (int)Ok(responses[15])["attempt"]!);
        Assert.Equal(1, (int)Ok(responses[13])["failures"]!);
        Assert.Equal(2, (int)Ok(responses[15])["failures"]!);
        Assert.False((bool)Ok(responses[15])["is_last_attempt"]!);
        Assert.Contains(Ok(responses[18])["queues"]!.AsArray(), queue => (string?)queue!["topic"] == q && (int)queue["partitions"]! == 2);
        var reliable = Ok(responses[19])["receipts"]!.AsArray();
        Assert.Equal(2, reliable.Count);
        Assert.False((bool)reliable[1]!["duplicate"]!);

        // The same producer id and sequence again: the broker answers with the stored copy.
        var again = Assert.Single(Ok(responses[20])["receipts"]!.AsArray())!;
        Assert.True((bool)again["duplicate"]!);
        Assert.Equal((string?)reliable[1]!["offset"], (string?)again["offset"]);
        Assert.Equal((int)reliable[1]!["partition"]!, (int)again["partition"]!);
        Assert.DoesNotContain("failed", log, StringComparison.Ordinal);
    }

    [Fact(Timeout = 20_000)]
    public async Task Errors_carry_the_language_neutral_type_code_retry_flag_and_what_each_kind_adds()
    {
        var q = RealBroker.UniqueTopic("driver-errors");
        var (responses, _) = await RunAsync(
            $$"""{"step": "connect", "client": "c", "endpoint": "{{broker.ProtocolEndpoint}}"}""",
            """{"step": "declare_queue", "client": "c", "topic": "new orders"}""",
            $$"""{"step": "create_publisher", "client": "c", "publisher": "p", "topic": "{{q}}"}""",
            """{"step": "publish", "publisher": "p", "message": {"payload": {"text": "lost"}}}""",
            $$"""{"step": "declare_queue", "client": "c", "topic": "{{q}}", "partitions": 2}""",
            $$"""{"step": "declare_queue", "client": "c", "topic": "{{q}}", "partitions": 3}""",
            $$"""{"step": "subscribe", "client": "c", "subscription": "s", "topic": "{{q}}"}""",
            """{"step": "receive", "subscription": "s", "delivery": "d", "timeout_ms": 100}""",
            """{"step": "unsubscribe", "subscription": "s"}""",
            """{"step": "subscription_end", "subscription": "s", "timeout_ms": 100}""",
            """{"step": "ack", "delivery": "never-received"}""",
            """{"step": "teleport", "client": "c"}""",
            """{"step": "connect", "client": "closed", "endpoint": "127.0.0.1:1", "connect_timeout_ms": 2000}""");

        var invalid = Failed(responses[1], "InvalidArgumentError", "invalid_argument", retryable: false);
        Assert.Equal("topic", (string?)invalid["argument"]);
        Assert.Equal("whitespace", (string?)invalid["reason"]);

        var notFound = Failed(responses[3], "BrokerError", "not_found", retryable: false);
        Assert.Equal(8, (int)notFound["broker_code"]!);
        Assert.IsType<JsonObject>(notFound["details"]);

        var conflict = Failed(responses[5], "BrokerError", "conflict", retryable: false);
        Assert.Equal(9, (int)conflict["broker_code"]!);
        Assert.Equal("partitions", (string?)conflict["details"]!["field"]);

        Failed(responses[7], "OperationTimeoutError", "timeout", retryable: true);
        Assert.Empty(Ok(responses[8]));
        Failed(responses[9], "Unexpected", "unexpected", retryable: false);
        Assert.Contains("never-received", (string?)Failed(responses[10], "Unexpected", "unexpected", retryable: false)["message"], StringComparison.Ordinal);
        Assert.Contains("teleport", (string?)responses[11]["unsupported"], StringComparison.Ordinal);
        Assert.Null(responses[11]["ok"]);
        Failed(responses[12], "ConnectionError", "connection_failed", retryable: true);
    }

    [Fact(Timeout = 20_000)]
    public async Task A_line_that_is_not_a_request_is_answered_without_an_id_and_the_driver_carries_on()
    {
        var input = new StringReader("this is not json\n\n{\"id\": 7, \"step\": \"reset\"}\n");
        using var output = new StringWriter();
        using var log = new StringWriter();
        Assert.Equal(0, await ConformanceDriver.RunAsync(input, output, log, CancellationToken.None));

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        var bad = JsonNode.Parse(lines[0])!.AsObject();
        Assert.Null(bad["id"]);
        Assert.Equal("Unexpected", (string?)bad["error"]!["type"]);
        var reset = JsonNode.Parse(lines[1])!.AsObject();
        Assert.Equal(7, (int)reset["id"]!);
        Assert.True((bool)reset["ok"]!);
        Assert.Contains("not a request", log.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Runs the requests through the driver, numbering them from 1, and returns one response per request
    /// (checked to carry its request's id) with what the driver logged.</summary>
    private static async Task<(List<JsonObject> Responses, string Log)> RunAsync(params string[] requests)
    {
        var lines = requests.Select((text, index) =>
        {
            var request = JsonNode.Parse(text)!.AsObject();
            request["id"] = index + 1;
            return request.ToJsonString();
        });
        var input = new StringReader(string.Join('\n', lines) + "\n");
        using var output = new StringWriter();
        using var log = new StringWriter();
        Assert.Equal(0, await ConformanceDriver.RunAsync(input, output, log, CancellationToken.None));

        var responses = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(requests.Length, responses.Count);
        for (var i = 0; i < responses.Count; i++)
        {
            Assert.Equal(i + 1, (int)responses[i]["id"]!);
        }

        return (responses, log.ToString());
    }

    private static JsonObject Ok(JsonObject response)
    {
        Assert.True(response["ok"] is JsonValue ok && (bool)ok, $"the step failed: {response.ToJsonString()}");
        return response["result"]!.AsObject();
    }

    private static JsonObject Failed(JsonObject response, string type, string code, bool retryable)
    {
        Assert.True(response["ok"] is JsonValue ok && !(bool)ok, $"the step did not fail: {response.ToJsonString()}");
        var error = response["error"]!.AsObject();
        Assert.Equal(type, (string?)error["type"]);
        Assert.Equal(code, (string?)error["code"]);
        Assert.Equal(retryable, (bool)error["retryable"]!);
        Assert.False(string.IsNullOrEmpty((string?)error["message"]));
        return error;
    }

    /// <summary>The step names in the steps table of conformance/DRIVERS.md.</summary>
    private static HashSet<string> DocumentedSteps()
    {
        var text = File.ReadAllText(Path.Combine(RepositoryFiles.Root, "conformance", "DRIVERS.md"));
        var table = text[text.IndexOf("## Steps", StringComparison.Ordinal)..];
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in table.Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)))
        {
            foreach (Match name in StepName().Matches(line.Split('|')[1]))
            {
                names.Add(name.Groups[1].Value);
            }
        }

        return names;
    }

    [GeneratedRegex("`([a-z_]+)`")]
    private static partial Regex StepName();
}
