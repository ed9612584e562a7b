// The broker fixture runs the broker built in the same configuration as these tests, which the test project
// builds first, so a Debug test run never picks up a stale Release broker (or the other way round).
using System.Reflection;

namespace Sinew.Client.Tests.Fixtures;

public class SinewBrokerFixtureTests
{
    [Fact(Timeout = 5000)]
    public async Task The_broker_of_the_tests_own_configuration_is_preferred()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(SinewBrokerFixture.BrokerDllVariable)))
        {
            // An explicit override wins by design; there is nothing to choose then.
            Assert.Equal(Environment.GetEnvironmentVariable(SinewBrokerFixture.BrokerDllVariable), SinewBrokerFixture.LocateBroker());
            return;
        }

        var configuration = typeof(SinewBrokerFixtureTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var expected = Path.Combine("broker", "src", "Sinew.Broker.Host", "bin", configuration, "net10.0", "sinew-broker.dll");
        Assert.EndsWith(expected, SinewBrokerFixture.LocateBroker(), StringComparison.Ordinal);
        await Task.CompletedTask;
    }
}
