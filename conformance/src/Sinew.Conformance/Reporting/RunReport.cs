// The results of a run: one row per scenario and client, plus the gate's verdict.
namespace Sinew.Conformance.Reporting;

/// <summary>How a scenario went for one client.</summary>
internal enum Outcome
{
    Passed,
    Failed,
    /// <summary>The client's driver does not implement a step the scenario needs: a parity gap.</summary>
    Missing,
    /// <summary>The scenario needs something this run does not provide (for example broker control against an external broker).</summary>
    NotApplicable,
    /// <summary>The broker answered an op of the scenario as not supported (<c>unknown_op</c> or reason
    /// <c>not_supported</c>): whatever the steps made of it, nothing was shown to work.</summary>
    NotImplemented,
}

internal sealed record ScenarioResult(string Id, string Title, string Area, string Spec, string Client, Outcome Outcome, string? Message, long DurationMs);

internal sealed record ClientInfo(string Name, string Version, string Driver);

internal sealed record RunReport(
    DateTimeOffset StartedAt,
    string Broker,
    IReadOnlyList<ClientInfo> Clients,
    IReadOnlyList<ScenarioResult> Results,
    IReadOnlyList<string> GateProblems)
{
    public bool GatePassed => GateProblems.Count == 0;

    /// <summary>For each op, the passing runs that pinned it and showed it on the wire.</summary>
    public IReadOnlyDictionary<string, List<string>> Coverage { get; init; } = new Dictionary<string, List<string>>();

    /// <summary>Whether the whole suite ran, so that coverage of every op was checked.</summary>
    public bool CoverageChecked { get; init; }
}
