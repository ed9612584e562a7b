// The parity gate: a run passes only when every scenario passed for every client, no client's driver
// lacks a step, every op of the protocol is covered, and no op on the list of known-unpinned ops turns
// out to be covered after all (that list must shrink as coverage grows).
//
// Coverage comes from the wire, not from declarations: an op counts as covered when a scenario that pins
// it passed and a frame of that op crossed the observing relay while it ran. A scenario that pins an op
// must show it on the wire every time it passes, and a broker that answers an op as not supported makes
// the run "not implemented", which covers nothing and is allowed only for the ops listed as unpinned.
using System.Text.Json.Nodes;
using Sinew.Conformance.Observation;

namespace Sinew.Conformance.Reporting;

internal static class Gate
{
    /// <summary>What the results and the scenarios' declarations alone show: failures, missing steps, ops that
    /// no scenario even claims to pin, and claims naming ops the protocol does not have.</summary>
    public static List<string> Problems(IReadOnlyList<ScenarioResult> results, IEnumerable<string> protocolOps,
        IReadOnlyDictionary<string, string> knownUnpinned, IEnumerable<(string Scenario, IReadOnlyList<string> Pins)> pins)
    {
        var problems = new List<string>();
        foreach (var result in results)
        {
            switch (result.Outcome)
            {
                case Outcome.Failed:
                    problems.Add($"{result.Id} failed for {result.Client}: {result.Message}");
                    break;
                case Outcome.Missing:
                    problems.Add($"{result.Id} has no implementation in the {result.Client} driver: {result.Message}");
                    break;
            }
        }

        var pinned = pins.SelectMany(p => p.Pins.Select(op => (Op: op, p.Scenario))).ToLookup(p => p.Op, p => p.Scenario);
        foreach (var op in protocolOps)
        {
            if (!pinned[op].Any() && !knownUnpinned.ContainsKey(op))
            {
                problems.Add($"op {op} of the protocol is pinned by no scenario");
            }
        }

        foreach (var op in pinned.Select(g => g.Key).Where(op => !protocolOps.Contains(op)))
        {
            problems.Add($"scenario {pinned[op].First()} pins '{op}', which is not an op of the protocol");
        }

        return problems;
    }

    /// <summary>What the wire showed: refusals of ops the broker must serve, pins a passing run did not show, and
    /// (for a run of the whole suite) ops no passing scenario covered or listed ops that were covered.</summary>
    public static List<string> CoverageProblems(IReadOnlyList<ScenarioResult> results, IReadOnlyList<WireObservation> observations,
        IEnumerable<(string Scenario, IReadOnlyList<string> Pins)> pins, IEnumerable<string> protocolOps,
        IReadOnlyDictionary<string, string> knownUnpinned, bool wholeSuite)
    {
        var problems = new List<string>();
        var declared = pins.ToDictionary(p => p.Scenario, p => p.Pins, StringComparer.Ordinal);
        foreach (var observation in observations)
        {
            foreach (var op in observation.Refused.Where(op => !knownUnpinned.ContainsKey(op)).Order(StringComparer.Ordinal))
            {
                problems.Add($"{observation.Id} ({observation.Client}): the broker answered {op} as not supported; " +
                             "only the ops listed in unpinned-ops.json may be missing");
            }
        }

        foreach (var (result, observation) in Passed(results, observations))
        {
            foreach (var op in declared.GetValueOrDefault(result.Id, []).Where(op => !observation.Seen.Contains(op)))
            {
                problems.Add($"{result.Id} pins {op}, but no {op} frame crossed the wire when it passed for {result.Client}");
            }
        }

        if (wholeSuite)
        {
            var coverage = Coverage(results, observations, pins);
            foreach (var op in protocolOps)
            {
                var covered = coverage.GetValueOrDefault(op);
                if (covered is null && !knownUnpinned.ContainsKey(op))
                {
                    problems.Add($"op {op} of the protocol crossed the wire in no passing scenario that pins it");
                }
                else if (covered is not null && knownUnpinned.ContainsKey(op))
                {
                    problems.Add($"op {op} is listed in unpinned-ops.json but {covered[0]} covered it on the wire; remove it from the list");
                }
            }
        }

        return problems;
    }

    /// <summary>For each op, the passing runs ("id (client)") that pin it and showed it on the wire.</summary>
    public static Dictionary<string, List<string>> Coverage(IReadOnlyList<ScenarioResult> results,
        IReadOnlyList<WireObservation> observations, IEnumerable<(string Scenario, IReadOnlyList<string> Pins)> pins)
    {
        var declared = pins.ToDictionary(p => p.Scenario, p => p.Pins, StringComparer.Ordinal);
        var coverage = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (result, observation) in Passed(results, observations))
        {
            foreach (var op in declared.GetValueOrDefault(result.Id, []).Where(observation.Seen.Contains))
            {
                if (!coverage.TryGetValue(op, out var runs))
                {
                    coverage[op] = runs = [];
                }

                runs.Add($"{result.Id} ({result.Client})");
            }
        }

        return coverage;
    }

    private static IEnumerable<(ScenarioResult Result, WireObservation Observation)> Passed(
        IReadOnlyList<ScenarioResult> results, IReadOnlyList<WireObservation> observations)
    {
        var byRun = observations.ToDictionary(o => (o.Id, o.Client));
        return results.Where(r => r.Outcome == Outcome.Passed && byRun.ContainsKey((r.Id, r.Client)))
            .Select(r => (r, byRun[(r.Id, r.Client)]));
    }

    public static IReadOnlyList<string> ProtocolOps(string protocolJson) =>
        JsonNode.Parse(protocolJson)!["ops"]!.AsArray().Select(o => (string)o!["name"]!).ToList();

    public static IReadOnlyDictionary<string, string> KnownUnpinned(string json) =>
        JsonNode.Parse(json)!["ops"]!.AsObject().ToDictionary(p => p.Key, p => (string)p.Value!);
}
