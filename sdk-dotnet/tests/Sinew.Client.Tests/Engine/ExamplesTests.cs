// The example runner's usage. The examples themselves run to completion against the real broker
// (Broker/ExamplesOnRealBrokerTests.cs).
using Sinew.Client.Examples;

namespace Sinew.Client.Tests.Engine;

public class ExamplesTests
{
    [Fact(Timeout = 10_000)]
    public async Task An_unknown_example_prints_usage_and_exits_2()
    {
        using var output = new StringWriter();
        Assert.Equal(2, await ExampleRunner.RunAsync(["nope"], output));
        Assert.Contains("usage", output.ToString(), StringComparison.Ordinal);
    }
}
