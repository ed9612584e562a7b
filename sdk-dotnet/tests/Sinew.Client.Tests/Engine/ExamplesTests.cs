// The examples run to completion against a broker, so the documented usage keeps working.
using Sinew.Client.Examples;
using Sinew.Client.Tests.Fakes;

namespace Sinew.Client.Tests.Engine;

public class ExamplesTests
{
    [Theory(Timeout = 20_000)]
    [InlineData("publish", "batch stored at offsets 2, 3, 4")]
    [InlineData("consume", "job 2: done on attempt 2")]
    [InlineData("confirmed-delayed", "100 messages confirmed")]
    [InlineData("partitions", "every customer's messages arrived in order")]
    public async Task An_example_runs_to_completion_and_exits_0(string example, string expected)
    {
        await using var broker = new FakeBroker();
        using var output = new StringWriter();
        var exitCode = await ExampleRunner.RunAsync([example, broker.Endpoint], output);
        Assert.True(exitCode == 0, output.ToString());
        Assert.Contains(expected, output.ToString(), StringComparison.Ordinal);
    }

    [Fact(Timeout = 10_000)]
    public async Task An_unknown_example_prints_usage_and_exits_2()
    {
        using var output = new StringWriter();
        Assert.Equal(2, await ExampleRunner.RunAsync(["nope"], output));
        Assert.Contains("usage", output.ToString(), StringComparison.Ordinal);
    }
}
