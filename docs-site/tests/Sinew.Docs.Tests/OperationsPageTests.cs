// The operations page documents the metrics the broker really exports.
using System.Text.RegularExpressions;
using Sinew.Docs.Tests.Support;

namespace Sinew.Docs.Tests;

[Collection(BrokerTestGroup.Name)]
public sealed partial class OperationsPageTests(BrokerFixture broker)
{
    [Fact(Timeout = 180_000)]
    public async Task The_operations_page_lists_every_metric_the_broker_exports()
    {
        // Per-queue metrics exist once a queue does: the C# quickstart declares one.
        var quickstart = await Snippets.All["snippets/quickstart/quickstart.cs"].Run(broker);
        Assert.True(quickstart.ExitCode == 0, quickstart.Describe("the C# quickstart"));

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var metrics = await http.GetStringAsync(new Uri(broker.Http, "metrics"));
        var names = MetricType().Matches(metrics).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.True(names.Count >= 10, $"the broker exported only {names.Count} sinew_ metrics:\n{metrics}");

        var page = HtmlText.Of(Path.Combine(Repository.Dist, "operations", "index.html"));
        var undocumented = names.Where(n => !page.Contains(n, StringComparison.Ordinal)).ToList();
        Assert.True(undocumented.Count == 0, $"metrics the operations page does not list: {string.Join(", ", undocumented)}");
    }

    [GeneratedRegex(@"^# TYPE (sinew_\w+) ", RegexOptions.Multiline)]
    private static partial Regex MetricType();
}
