// The gate's wire half: coverage is what crossed the wire in passing runs, a claimed pin must show, and a
// refusal as "not supported" is "not implemented", never a pass, and allowed only for listed ops.
using Sinew.Conformance.Observation;
using Sinew.Conformance.Reporting;

namespace Sinew.Conformance.Tests;

public class CoverageGateTests
{
    private static readonly Dictionary<string, string> NothingListed = [];

    private static ScenarioResult Result(string id, string client, Outcome outcome, string? message = null) =>
        new(id, "title", "area", "8.3", client, outcome, message, 12);

    private static WireObservation Seen(string id, string client, string[] seen, string[]? refused = null) =>
        new(id, client, new HashSet<string>(seen, StringComparer.Ordinal), new HashSet<string>(refused ?? [], StringComparer.Ordinal));

    [Fact]
    public void A_pin_that_did_not_cross_the_wire_in_a_passing_run_is_named_with_its_client()
    {
        var results = new[] { Result("publish/a", "csharp", Outcome.Passed), Result("publish/a", "python", Outcome.Passed) };
        var observations = new[] { Seen("publish/a", "csharp", ["Publish", "PublishOk"]), Seen("publish/a", "python", ["Publish"]) };
        var problems = Gate.CoverageProblems(results, observations, [("publish/a", ["Publish", "PublishOk"])], ["Publish", "PublishOk"], NothingListed, wholeSuite: true);
        Assert.Equal(["publish/a pins PublishOk, but no PublishOk frame crossed the wire when it passed for python"], problems);
    }

    [Fact]
    public void An_op_declared_but_seen_only_in_failed_runs_is_not_covered()
    {
        var results = new[] { Result("consume/a", "csharp", Outcome.Failed, "boom") };
        var observations = new[] { Seen("consume/a", "csharp", ["Nack"]) };
        var problems = Gate.CoverageProblems(results, observations, [("consume/a", ["Nack"])], ["Nack"], NothingListed, wholeSuite: true);
        Assert.Equal(["op Nack of the protocol crossed the wire in no passing scenario that pins it"], problems);
        Assert.Empty(Gate.Coverage(results, observations, [("consume/a", ["Nack"])]));
    }

    [Fact]
    public void An_op_seen_in_a_scenario_that_does_not_pin_it_does_not_count()
    {
        var results = new[] { Result("connect/a", "csharp", Outcome.Passed) };
        var observations = new[] { Seen("connect/a", "csharp", ["Hello", "HelloOk", "Ping"]) };
        var problems = Gate.CoverageProblems(results, observations, [("connect/a", ["Hello", "HelloOk"])], ["Hello", "HelloOk", "Ping"], NothingListed, wholeSuite: true);
        Assert.Equal(["op Ping of the protocol crossed the wire in no passing scenario that pins it"], problems);
    }

    [Fact]
    public void A_listed_op_that_was_covered_on_the_wire_must_leave_the_list()
    {
        var results = new[] { Result("stream/a", "raw", Outcome.Passed) };
        var observations = new[] { Seen("stream/a", "raw", ["DeclareStream"]) };
        var listed = new Dictionary<string, string> { ["DeclareStream"] = "not served yet" };
        var problems = Gate.CoverageProblems(results, observations, [("stream/a", ["DeclareStream"])], ["DeclareStream"], listed, wholeSuite: true);
        Assert.Equal(["op DeclareStream is listed in unpinned-ops.json but stream/a (raw) covered it on the wire; remove it from the list"], problems);
    }

    [Fact]
    public void A_refusal_is_not_implemented_and_allowed_only_for_a_listed_op()
    {
        var observation = Seen("stream/a", "raw", ["DeclareStream", "Error"], refused: ["DeclareStream"]);
        var verdict = Verdict.Apply(Result("stream/a", "raw", Outcome.Passed), observation);
        Assert.Equal(Outcome.NotImplemented, verdict.Outcome);
        Assert.Contains("answered DeclareStream as not supported", verdict.Message, StringComparison.Ordinal);

        var unlisted = Gate.CoverageProblems([verdict], [observation], [("stream/a", ["DeclareStream"])], ["DeclareStream"], NothingListed, wholeSuite: false);
        Assert.Equal(["stream/a (raw): the broker answered DeclareStream as not supported; only the ops listed in unpinned-ops.json may be missing"], unlisted);
        var listed = Gate.CoverageProblems([verdict], [observation], [("stream/a", ["DeclareStream"])], ["DeclareStream"],
            new Dictionary<string, string> { ["DeclareStream"] = "not served yet" }, wholeSuite: true);
        Assert.Empty(listed);
        Assert.Empty(Gate.Problems([verdict], ["DeclareStream"], new Dictionary<string, string> { ["DeclareStream"] = "x" }, [("stream/a", ["DeclareStream"])]));
    }

    [Fact]
    public void A_failed_run_with_a_refusal_says_both()
    {
        var verdict = Verdict.Apply(Result("stream/a", "python", Outcome.Failed, "expected DeclareStreamOk"), Seen("stream/a", "python", [], refused: ["DeclareStream"]));
        Assert.Equal(Outcome.NotImplemented, verdict.Outcome);
        Assert.Contains("expected DeclareStreamOk", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_of_part_of_the_suite_checks_pins_but_not_the_coverage_of_every_op()
    {
        var results = new[] { Result("publish/a", "csharp", Outcome.Passed) };
        var observations = new[] { Seen("publish/a", "csharp", ["Publish"]) };
        var problems = Gate.CoverageProblems(results, observations, [("publish/a", ["Publish"]), ("consume/b", ["Ack"])], ["Publish", "Ack"], NothingListed, wholeSuite: false);
        Assert.Empty(problems);
    }

    [Fact]
    public void Reports_show_not_implemented_and_the_coverage()
    {
        var report = new RunReport(DateTimeOffset.UnixEpoch, "local broker", [], [Result("stream/a", "raw", Outcome.NotImplemented, "the broker answered DeclareStream as not supported")], [])
        {
            Coverage = new Dictionary<string, List<string>> { ["Publish"] = ["publish/a (csharp)"] },
            CoverageChecked = true,
        };
        Assert.Contains("\"outcome\": \"not_implemented\"", ReportWriter.Json(report), StringComparison.Ordinal);
        Assert.Contains("\"publish/a (csharp)\"", ReportWriter.Json(report), StringComparison.Ordinal);
        Assert.Contains("<skipped message=\"not implemented: the broker answered DeclareStream", ReportWriter.JUnit(report), StringComparison.Ordinal);
        var html = ReportWriter.Html(report);
        Assert.Contains("not implemented", html, StringComparison.Ordinal);
        Assert.Contains("<code>Publish</code>", html, StringComparison.Ordinal);
    }
}
