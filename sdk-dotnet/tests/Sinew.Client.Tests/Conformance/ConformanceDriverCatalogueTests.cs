// The catalogue steps of the C# conformance driver against the real broker: the catalogue a client holds, and the next
// change its watcher reports after another client declares a queue.
using System.Text.Json.Nodes;
using Sinew.Client.Tests.Broker;

namespace Sinew.Client.Tests.Conformance;

public partial class ConformanceDriverTests
{
    [Fact(Timeout = 20_000)]
    public async Task The_catalogue_steps_report_the_catalogue_and_the_change_another_clients_declaration_makes()
    {
        var q = RealBroker.UniqueTopic("driver-catalogue");
        var (responses, _) = await RunAsync(
            $$"""{"step": "connect", "client": "watcher", "endpoint": "{{broker.ProtocolEndpoint}}"}""",
            $$"""{"step": "connect", "client": "declarer", "endpoint": "{{broker.ProtocolEndpoint}}"}""",
            """{"step": "catalogue", "client": "watcher"}""",
            """{"step": "next_catalogue_change", "client": "watcher", "timeout_ms": 100}""",
            $$"""{"step": "declare_queue", "client": "declarer", "topic": "{{q}}", "partitions": 3}""",
            """{"step": "next_catalogue_change", "client": "watcher", "timeout_ms": 5000}""",
            """{"step": "catalogue", "client": "watcher"}""");

        Assert.True(ulong.TryParse((string?)Ok(responses[2])["generation"], out _));
        Failed(responses[3], "OperationTimeoutError", "timeout", true);
        var expected = new JsonObject { ["topic"] = q, ["group"] = null, ["partitions"] = 3, ["routing_version"] = "1" };
        Assert.Contains(Ok(responses[5])["added"]!.AsArray(), entry => JsonNode.DeepEquals(entry, expected));
        Assert.Empty(Ok(responses[5])["removed"]!.AsArray());
        Assert.Contains(Ok(responses[6])["queues"]!.AsArray(), entry => JsonNode.DeepEquals(entry, expected));
    }
}
