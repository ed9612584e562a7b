// SinewClientOptions: documented defaults, and validation messages that say what to fix.
namespace Sinew.Client.Tests.Unit;

public class OptionsValidationTests
{
    [Fact(Timeout = 5000)]
    public async Task Defaults_are_the_documented_values_and_valid()
    {
        var options = new SinewClientOptions();
        Assert.Equal(["127.0.0.1:7420"], options.Endpoints);
        Assert.Equal("sinew-dotnet", options.ClientName);
        Assert.Null(options.Credentials);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Heartbeat);
        Assert.Equal(TimeSpan.FromSeconds(10), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), options.RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), options.CloseTimeout);
        Assert.Equal(5, options.Reconnect.MaxAttempts);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.Reconnect.InitialDelay);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Reconnect.MaxDelay);
        Assert.Equal(0.2, options.Reconnect.Jitter);
        Assert.Empty(SinewClientOptionsValidator.Check(options));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Other_option_types_have_the_documented_defaults()
    {
        var subscribe = new SubscribeOptions();
        Assert.Equal(100, subscribe.Prefetch);
        Assert.Equal(AckMode.Manual, subscribe.AckMode);
        Assert.Null(subscribe.Partition);
        var reliable = new ReliablePublisherOptions();
        Assert.Equal(10, reliable.MaxAttempts);
        Assert.Equal(1UL, reliable.FirstSequence);
        Assert.Null(reliable.ProducerId);
        Assert.Equal(0, ReconnectPolicy.Disabled.MaxAttempts);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task An_empty_endpoint_list_is_refused_with_an_example_address()
    {
        var problems = SinewClientOptionsValidator.Check(new SinewClientOptions { Endpoints = [] });
        var problem = Assert.Single(problems);
        Assert.Contains("Endpoints is empty", problem, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:7420", problem, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Theory(Timeout = 5000)]
    [InlineData("", "empty")]
    [InlineData("broker:0", "port")]
    [InlineData("broker:70000", "port")]
    [InlineData("broker:http", "port")]
    [InlineData("tcp://broker:7420", "scheme")]
    [InlineData("[::1", "']'")]
    [InlineData("my broker:7420", "whitespace")]
    [InlineData(":7420", "host is empty")]
    public async Task A_malformed_endpoint_is_refused_naming_its_index_and_the_problem(string endpoint, string problem)
    {
        var problems = SinewClientOptionsValidator.Check(new SinewClientOptions { Endpoints = ["127.0.0.1:7420", endpoint] });
        var message = Assert.Single(problems);
        Assert.Contains("Endpoints[1]", message, StringComparison.Ordinal);
        Assert.Contains(problem, message, StringComparison.Ordinal);
        Assert.Contains("host:port", message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Theory(Timeout = 5000)]
    [InlineData("broker")]
    [InlineData("broker.internal:7421")]
    [InlineData("10.0.0.1:1")]
    [InlineData("[::1]:7420")]
    [InlineData("::1")]
    public async Task Well_formed_endpoints_are_accepted(string endpoint)
    {
        Assert.Empty(SinewClientOptionsValidator.Check(new SinewClientOptions { Endpoints = [endpoint] }));
        await Task.CompletedTask;
    }

    [Theory(Timeout = 5000)]
    [InlineData(nameof(SinewClientOptions.ConnectTimeout))]
    [InlineData(nameof(SinewClientOptions.RequestTimeout))]
    [InlineData(nameof(SinewClientOptions.CloseTimeout))]
    public async Task A_non_positive_timeout_is_refused_naming_the_property(string property)
    {
        var options = new SinewClientOptions();
        typeof(SinewClientOptions).GetProperty(property)!.SetValue(options, TimeSpan.Zero);
        var message = Assert.Single(SinewClientOptionsValidator.Check(options));
        Assert.Contains($"SinewClientOptions.{property}", message, StringComparison.Ordinal);
        Assert.Contains("positive", message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task A_negative_heartbeat_is_refused_and_zero_disables_heartbeats()
    {
        Assert.Contains("TimeSpan.Zero", Assert.Single(SinewClientOptionsValidator.Check(new SinewClientOptions { Heartbeat = TimeSpan.FromSeconds(-1) })),
            StringComparison.Ordinal);
        Assert.Empty(SinewClientOptionsValidator.Check(new SinewClientOptions { Heartbeat = TimeSpan.Zero }));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task A_reconnect_policy_out_of_range_is_refused()
    {
        Assert.Contains("MaxAttempts", Assert.Single(SinewClientOptionsValidator.Check(
            new SinewClientOptions { Reconnect = new ReconnectPolicy { MaxAttempts = -1 } })), StringComparison.Ordinal);
        Assert.Contains("MaxDelay", Assert.Single(SinewClientOptionsValidator.Check(
            new SinewClientOptions { Reconnect = new ReconnectPolicy { InitialDelay = TimeSpan.FromSeconds(2), MaxDelay = TimeSpan.FromSeconds(1) } })),
            StringComparison.Ordinal);
        Assert.Contains("ReconnectPolicy.Default", Assert.Single(SinewClientOptionsValidator.Check(new SinewClientOptions { Reconnect = null! })),
            StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task An_empty_client_name_is_refused()
    {
        Assert.Contains("ClientName", Assert.Single(SinewClientOptionsValidator.Check(new SinewClientOptions { ClientName = " " })), StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task The_client_constructor_refuses_invalid_options_listing_every_problem()
    {
        var error = Assert.Throws<InvalidArgumentException>(() =>
            new SinewClient(new SinewClientOptions { Endpoints = [], RequestTimeout = TimeSpan.Zero }));
        Assert.Equal("invalid_argument", error.Code);
        Assert.False(error.IsRetryable);
        Assert.Contains("Endpoints", error.Message, StringComparison.Ordinal);
        Assert.Contains("RequestTimeout", error.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task The_client_keeps_its_own_copy_of_the_options()
    {
        var options = new SinewClientOptions { Endpoints = ["broker-a:7420"] };
        await using var client = new SinewClient(options);
        options.Endpoints = ["broker-b:7420"];
        options.RequestTimeout = TimeSpan.FromMinutes(9);
        Assert.Equal(["broker-a:7420"], client.Core.Options.Endpoints);
        Assert.Equal(TimeSpan.FromSeconds(30), client.Core.Options.RequestTimeout);
    }

    [Fact(Timeout = 5000)]
    public async Task Reconnect_backoff_doubles_from_the_initial_delay_up_to_the_maximum()
    {
        var policy = ReconnectPolicy.Default;
        Assert.Equal(
            new[] { 100, 200, 400, 800, 1600, 3200, 5000, 5000 }.Select(ms => TimeSpan.FromMilliseconds(ms)),
            Enumerable.Range(1, 8).Select(policy.NominalDelayAfter));

        // A sample of 0 is the nominal wait itself.
        Assert.Equal(TimeSpan.FromMilliseconds(400), policy.DelayAfter(3, 0));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Reconnect_jitter_defaults_to_a_fifth_and_only_ever_shortens_a_wait_by_up_to_that_share()
    {
        // The same rule as the TypeScript and Python clients: nominal × (1 − jitter × sample), so a wait never
        // exceeds the nominal one and the 5 s cap holds.
        var policy = ReconnectPolicy.Default;
        Assert.Equal(0.2, policy.Jitter);
        Assert.Equal(TimeSpan.FromMilliseconds(100), policy.DelayAfter(1, 0));
        Assert.Equal(TimeSpan.FromMilliseconds(5000), policy.DelayAfter(8, 0));
        Assert.Equal(TimeSpan.FromMilliseconds(4000), policy.DelayAfter(8, 1));

        // Every sample stays within 80–100 % of the nominal wait, and the samples actually spread the waits.
        var waits = new List<TimeSpan>();
        for (var i = 0; i < 1000; i++)
        {
            var sample = i / 1000.0;
            var wait = policy.DelayAfter(2, sample);
            Assert.InRange(wait, TimeSpan.FromMilliseconds(160), TimeSpan.FromMilliseconds(200));
            waits.Add(wait);
        }

        Assert.True(waits.Min() < TimeSpan.FromMilliseconds(165) && waits.Max() > TimeSpan.FromMilliseconds(195),
            $"the waits span only {waits.Min()}..{waits.Max()}");

        // Without jitter every sample gives the nominal wait.
        var exact = policy with { Jitter = 0 };
        Assert.All(new[] { 0, 0.3, 0.999 }, sample => Assert.Equal(TimeSpan.FromMilliseconds(200), exact.DelayAfter(2, sample)));
        await Task.CompletedTask;
    }

    [Theory(Timeout = 5000)]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public async Task Reconnect_jitter_outside_zero_to_one_is_refused(double jitter)
    {
        var problem = Assert.Single(SinewClientOptionsValidator.Check(new SinewClientOptions { Reconnect = new ReconnectPolicy { Jitter = jitter } }));
        Assert.Contains("ReconnectPolicy.Jitter", problem, StringComparison.Ordinal);
        Assert.Empty(SinewClientOptionsValidator.Check(new SinewClientOptions { Reconnect = new ReconnectPolicy { Jitter = 1 } }));
        Assert.Empty(SinewClientOptionsValidator.Check(new SinewClientOptions { Reconnect = new ReconnectPolicy { Jitter = 0 } }));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Credentials_never_print_their_secret()
    {
        Assert.DoesNotContain("hunter2", SinewCredentials.Plain("alice", "hunter2").ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("tok-123", SinewCredentials.Token("tok-123").ToString(), StringComparison.Ordinal);
        Assert.Contains("alice", SinewCredentials.Plain("alice", "hunter2").ToString(), StringComparison.Ordinal);
        await Task.CompletedTask;
    }
}
