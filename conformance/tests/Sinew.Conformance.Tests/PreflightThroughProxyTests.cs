// The preflight against a real broker that the network lets down: a fault proxy in front of it accepts the
// connection but forwards nothing, or passes on only part of the broker's answer. The runner must still give up
// within seconds and say what it saw.
using Sinew.Conformance.Execution;
using Sinew.Testing;

namespace Sinew.Conformance.Tests;

public sealed class PreflightThroughProxyTests : IAsyncLifetime
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("sinew-conformance-tests-").FullName;
    private BrokerProcess? _broker;
    private FaultProxy? _proxy;

    private FaultProxy Proxy => _proxy!;

    public async Task InitializeAsync()
    {
        _broker = await BrokerProcess.StartAsync(_dataDirectory);
        _proxy = await FaultProxy.StartAsync(_broker.ProtocolEndpoint);
    }

    public async Task DisposeAsync()
    {
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        if (_broker is not null)
        {
            await _broker.StopAsync(TimeSpan.FromSeconds(15));
            await _broker.DisposeAsync();
        }

        Directory.Delete(_dataDirectory, recursive: true);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_broker_behind_a_proxy_that_forwards_everything_passes()
    {
        await Preflight.CheckAsync(Proxy.Endpoint, CancellationToken.None);
        Assert.Equal(1, (await Proxy.ConnectionsAsync()).Accepted);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_connection_accepted_but_never_answered_is_given_up_on_within_seconds()
    {
        await Proxy.BlackholeAsync(ProxyScope.New);
        var error = await Assert.ThrowsAsync<UnusableBrokerException>(() => Preflight.CheckAsync(Proxy.Endpoint, CancellationToken.None));
        Assert.Contains("did not answer a Hello", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task An_answer_cut_off_inside_its_first_frame_is_reported_as_part_of_a_frame()
    {
        // The broker's HelloOk gets as far as its header's first eight bytes; the rest is swallowed.
        await Proxy.CloseAfterAsync(8, ProxyDirection.Down, ProxyClose.Drop, ProxyScope.New);
        var error = await Assert.ThrowsAsync<UnusableBrokerException>(() => Preflight.CheckAsync(Proxy.Endpoint, CancellationToken.None));
        Assert.Contains("sent part of a frame and then nothing", error.Message, StringComparison.Ordinal);
    }
}
