// Pointed at nothing, or at something that is not a Sinew broker, the runner fails fast and says so.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Sinew.Conformance.Execution;

namespace Sinew.Conformance.Tests;

public class PreflightTests
{
    [Fact(Timeout = 30_000)]
    public async Task A_port_where_nothing_listens_is_reported_at_once()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = listener.LocalEndpoint.ToString()!;
        listener.Stop();
        var stopwatch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<UnusableBrokerException>(() => Preflight.CheckAsync(endpoint, CancellationToken.None));
        Assert.Contains("nothing accepts connections", error.Message, StringComparison.Ordinal);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(3));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_server_that_answers_in_another_protocol_is_named_with_what_it_said()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serving = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            _ = await stream.ReadAsync(new byte[64]);
            await stream.WriteAsync("HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray());
        });
        var error = await Assert.ThrowsAsync<UnusableBrokerException>(() => Preflight.CheckAsync(listener.LocalEndpoint.ToString()!, CancellationToken.None));
        Assert.Contains("does not speak the Sinew protocol", error.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP/1.1 400", error.Message, StringComparison.Ordinal);
        await serving;
    }

    [Fact(Timeout = 30_000)]
    public async Task A_server_that_accepts_and_says_nothing_is_given_up_on_within_seconds()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var silent = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            await Task.Delay(8000);
        });
        var stopwatch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<UnusableBrokerException>(() => Preflight.CheckAsync(listener.LocalEndpoint.ToString()!, CancellationToken.None));
        Assert.Contains("did not answer a Hello", error.Message, StringComparison.Ordinal);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(7));
    }
}
