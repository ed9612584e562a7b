// The examples, which the documentation shows, run to completion against the real broker too.
using Sinew.Client.Examples;
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(PublishingBroker.Name)]
public class ExamplesOnRealBrokerTests(SinewBrokerFixture broker)
{
    [Theory(Timeout = 40_000)]
    [InlineData("publish", "batch stored at offsets 2, 3, 4")]
    [InlineData("consume", "job 2: done on attempt 2")]
    [InlineData("confirmed-delayed", "100 messages confirmed")]
    [InlineData("partitions", "every customer's messages arrived in order")]
    public async Task An_example_runs_to_completion_against_the_real_broker(string example, string expected)
    {
        using var output = new StringWriter();
        var exitCode = await ExampleRunner.RunAsync([example, broker.ProtocolEndpoint], output);
        Assert.True(exitCode == 0, output.ToString());
        Assert.Contains(expected, output.ToString(), StringComparison.Ordinal);
    }
}
