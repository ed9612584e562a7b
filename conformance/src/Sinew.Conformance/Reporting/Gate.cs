// The parity gate: a run passes only when every scenario passed for every client, no client's driver
// lacks a step, every op of the protocol is pinned by some scenario, and no op on the list of
// known-unpinned ops is pinned after all (that list must shrink as coverage grows).
using System.Text.Json.Nodes;

namespace Sinew.Conformance.Reporting;

internal static class Gate
{
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
            var pinnedBy = pinned[op].ToList();
            if (pinnedBy.Count == 0 && !knownUnpinned.ContainsKey(op))
            {
                problems.Add($"op {op} of the protocol is pinned by no scenario");
            }
            else if (pinnedBy.Count > 0 && knownUnpinned.ContainsKey(op))
            {
                problems.Add($"op {op} is listed in unpinned-ops.json but {pinnedBy[0]} pins it; remove it from the list");
            }
        }

        foreach (var op in pinned.Select(g => g.Key).Where(op => !protocolOps.Contains(op)))
        {
            problems.Add($"scenario {pinned[op].First()} pins '{op}', which is not an op of the protocol");
        }

        return problems;
    }

    public static IReadOnlyList<string> ProtocolOps(string protocolJson) =>
        JsonNode.Parse(protocolJson)!["ops"]!.AsArray().Select(o => (string)o!["name"]!).ToList();

    public static IReadOnlyDictionary<string, string> KnownUnpinned(string json) =>
        JsonNode.Parse(json)!["ops"]!.AsObject().ToDictionary(p => p.Key, p => (string)p.Value!);
}
