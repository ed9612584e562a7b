// Turns what the wire showed into the verdict of a run: a scenario during which the broker refused an op
// as not supported proved nothing about that op, so it is "not implemented", never a pass.
using Sinew.Conformance.Reporting;

namespace Sinew.Conformance.Observation;

internal static class Verdict
{
    public static ScenarioResult Apply(ScenarioResult result, WireObservation observation)
    {
        if (observation.Refused.Count == 0 || result.Outcome is Outcome.Missing or Outcome.NotApplicable)
        {
            return result;
        }

        var refused = string.Join(", ", observation.Refused.Order(StringComparer.Ordinal));
        var message = $"the broker answered {refused} as not supported";
        if (result.Outcome == Outcome.Failed)
        {
            message += $" (the run then failed: {result.Message})";
        }

        return result with { Outcome = Outcome.NotImplemented, Message = message };
    }
}
