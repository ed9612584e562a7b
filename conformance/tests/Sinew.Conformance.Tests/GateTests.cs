// The parity gate and the reports.
using System.Xml.Linq;
using Sinew.Conformance.Reporting;
using Sinew.Conformance.Scenarios;

namespace Sinew.Conformance.Tests;

public class GateTests
{
    private static ScenarioResult Result(string id, string client, Outcome outcome, string? message = null) =>
        new(id, "title", "area", "8.3", client, outcome, message, 12);

    [Fact]
    public void A_failure_or_a_missing_implementation_in_any_client_fails_the_gate_and_is_named()
    {
        var results = new[]
        {
            Result("publish/a", "csharp", Outcome.Passed),
            Result("publish/a", "python", Outcome.Failed, "offset is 1, expected 0"),
            Result("publish/a", "typescript", Outcome.Missing, "the typescript driver does not implement publish"),
            Result("publish/b", "csharp", Outcome.NotApplicable, "needs broker_control"),
        };
        var problems = Gate.Problems(results, ["Publish"], new Dictionary<string, string>(), [("publish/a", ["Publish"])]);
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.Contains("publish/a failed for python", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("publish/a has no implementation in the typescript driver", StringComparison.Ordinal));
    }

    [Fact]
    public void An_op_no_scenario_claims_to_pin_fails_the_gate_unless_it_is_listed()
    {
        // Whether a listed op is covered after all is for the wire to say (CoverageGateTests).
        var unpinned = new Dictionary<string, string> { ["GoingAway"] = "not sent yet", ["Publish"] = "not served yet" };
        var problems = Gate.Problems([], ["Publish", "Ack", "GoingAway"], unpinned, [("publish/a", ["Publish", "Nope"])]);
        Assert.Contains("op Ack of the protocol is pinned by no scenario", problems);
        Assert.Contains(problems, p => p.Contains("pins 'Nope', which is not an op", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.Contains("GoingAway", StringComparison.Ordinal));
        Assert.Equal(2, problems.Count);
    }

    [Fact]
    public void The_built_in_suite_pins_every_op_of_the_protocol_or_says_why_not()
    {
        var scenarios = ScenarioSet.Load(null);
        Assert.True(scenarios.Count >= 30, $"only {scenarios.Count} scenarios");
        var pins = scenarios.Select(s => (s.Id, s.Pins)).Concat(Raw.RawCases.All.Select(c => (c.Id, c.Pins)));
        var problems = Gate.Problems([], Gate.ProtocolOps(ScenarioSet.EmbeddedText("protocol.json")),
            Gate.KnownUnpinned(ScenarioSet.EmbeddedText("unpinned-ops.json")), pins);
        Assert.Empty(problems);
    }

    [Fact]
    public void Reports_carry_every_result_in_junit_json_and_html()
    {
        var report = new RunReport(DateTimeOffset.UnixEpoch, "local broker", [new ClientInfo("python", "0.1.0", "python -m x")],
        [
            Result("publish/a", "python", Outcome.Passed),
            Result("publish/b", "python", Outcome.Failed, "boom <&>"),
        ], ["publish/b failed for python: boom <&>"]);
        var junit = XDocument.Parse(ReportWriter.JUnit(report));
        var suite = Assert.Single(junit.Root!.Elements("testsuite"));
        Assert.Equal("2", (string?)suite.Attribute("tests"));
        Assert.Equal("1", (string?)suite.Attribute("failures"));
        Assert.Contains("\"outcome\": \"failed\"", ReportWriter.Json(report), StringComparison.Ordinal);
        var html = ReportWriter.Html(report);
        Assert.Contains("Parity gate failed", html, StringComparison.Ordinal);
        Assert.Contains("boom &lt;&amp;&gt;", html, StringComparison.Ordinal);
    }
}
