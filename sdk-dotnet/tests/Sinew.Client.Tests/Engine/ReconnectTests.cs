// Reconnection: the next operation after a drop reconnects (bounded, with backoff); what was in flight fails
// with connection_lost and is not replayed; publishers carry on.
using System.Diagnostics;
using Sinew.Client.Tests.Fakes;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Engine;

public class ReconnectTests
{
    [Fact(Timeout = 10_000)]
    public async Task The_next_operation_after_a_drop_reconnects_first()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        broker.DropAllConnections();
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client saw the drop");

        Assert.False((await client.DeclareQueueAsync("orders")).Created);
        Assert.True(client.IsConnected);
        Assert.Equal(2, broker.AcceptedConnections);
    }

    [Fact(Timeout = 10_000)]
    public async Task The_first_reconnection_attempt_does_not_wait_for_the_backoff()
    {
        await using var broker = new FakeBroker();
        var policy = new ReconnectPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.FromSeconds(20), MaxDelay = TimeSpan.FromSeconds(20) };
        await using var client = await TestClients.ConnectAsync(broker, o => o.Reconnect = policy);
        broker.DropAllConnections();
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client saw the drop");

        // A backoff before the first attempt would hold this operation for at least 16 s (20 s less jitter).
        var clock = Stopwatch.StartNew();
        await client.DeclareQueueAsync("orders");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"reconnecting took {clock.Elapsed}");
        Assert.Equal(2, broker.AcceptedConnections);
    }

    [Fact(Timeout = 10_000)]
    public async Task Operations_in_flight_when_the_connection_drops_fail_with_connection_lost_and_are_not_replayed()
    {
        await using var broker = new FakeBroker();
        broker.Intercept = f => f.Message is Wire.Publish { Message.ContentType: "text/held" };
        await using var client = await TestClients.ConnectAsync(broker);
        await client.DeclareQueueAsync("orders");
        var publisher = client.CreatePublisher("orders");
        var held = publisher.PublishAsync(OutgoingMessage.FromBytes(new byte[] { 1 }, "text/held"));
        await broker.WaitForAsync<Wire.Publish>();

        broker.DropAllConnections();
        var error = await Assert.ThrowsAsync<ConnectionLostException>(() => held);
        Assert.Equal("connection_lost", error.Code);
        Assert.True(error.IsRetryable);
        Assert.Contains("not replayed", error.Message, StringComparison.Ordinal);

        // Publishers keep working on the new connection, and only the new message travels on it.
        await publisher.PublishAsync(OutgoingMessage.FromText("after"));
        var second = broker.Connections[1];
        var publishes = broker.Received.Where(f => f.Connection == second && f.Message is Wire.Publish).ToList();
        Assert.Equal("after", System.Text.Encoding.UTF8.GetString(((Wire.Publish)Assert.Single(publishes).Message).Message.Payload.Span));
    }

    [Fact(Timeout = 10_000)]
    public async Task Reconnection_gives_up_after_the_policys_attempts_with_growing_delays()
    {
        await using var broker = new FakeBroker();
        // Without jitter, so the waits can be checked against their nominal lengths.
        var policy = new ReconnectPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromSeconds(1), Jitter = 0 };
        await using var client = await TestClients.ConnectAsync(broker, o => o.Reconnect = policy);
        broker.AcceptHandshakes = false;
        broker.DropAllConnections();
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client saw the drop");

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ConnectionException>(() => client.DeclareQueueAsync("orders"));
        Assert.Contains("after 3 attempts", error.Message, StringComparison.Ordinal);
        Assert.Equal(1 + 3, broker.AcceptedConnections);
        // Backoff of 50 then 100 ms; timers may fire a little early, hence the margin.
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(135), $"waited only {clock.Elapsed} between attempts");

        // The failure is not sticky: once the broker is back, the next operation reconnects.
        broker.AcceptHandshakes = true;
        await client.DeclareQueueAsync("orders");
        Assert.True(client.IsConnected);
    }

    [Fact(Timeout = 10_000)]
    public async Task Concurrent_operations_share_one_reconnection()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        broker.DropAllConnections();
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client saw the drop");
        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => client.DeclareQueueAsync($"q{i}")));
        Assert.Equal(2, broker.AcceptedConnections);
    }

    [Fact(Timeout = 10_000)]
    public async Task Refused_credentials_stop_reconnection_at_once()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        broker.RequiredCredentials = ("alice", "s3cret");
        broker.DropAllConnections();
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client saw the drop");
        var error = await Assert.ThrowsAsync<BrokerException>(() => client.DeclareQueueAsync("orders"));
        Assert.Equal("unauthorized", error.Code);
        Assert.Equal(2, broker.AcceptedConnections);
    }

    [Fact(Timeout = 10_000)]
    public async Task With_reconnection_disabled_operations_after_a_drop_fail_with_connection_lost()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker, o => o.Reconnect = ReconnectPolicy.Disabled);
        broker.DropAllConnections();
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client saw the drop");
        var error = await Assert.ThrowsAsync<ConnectionLostException>(() => client.DeclareQueueAsync("orders"));
        Assert.Contains("ReconnectPolicy.Disabled", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, broker.AcceptedConnections);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_fatal_error_before_the_close_is_the_cause_of_the_loss()
    {
        await using var broker = new FakeBroker();
        broker.Intercept = f =>
        {
            if (f.Message is not Wire.DeclareQueue)
            {
                return false;
            }

            f.Connection.Send(new Wire.Error(1, false, "could not decode frame 12"));
            f.Connection.CloseAfterFlush();
            return true;
        };
        await using var client = await TestClients.ConnectAsync(broker);
        var error = await Assert.ThrowsAsync<ConnectionLostException>(() => client.DeclareQueueAsync("orders"));
        var cause = Assert.IsType<ConnectionLostException>(error.InnerException);
        Assert.Contains("bad_frame", cause.Message, StringComparison.Ordinal);
        Assert.Equal("bad_frame", Assert.IsType<BrokerException>(cause.InnerException).Code);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_going_away_notice_makes_the_next_connection_try_the_named_endpoint_first()
    {
        await using var first = new FakeBroker();
        await using var second = new FakeBroker();
        await using var client = await SinewClient.ConnectAsync(TestClients.Options(first.Endpoint));
        first.Connections[0].Send(new Wire.GoingAway((ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), "draining", second.Endpoint));
        await Task.Delay(50);
        first.DropAllConnections();
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client saw the drop");
        await client.EnsureConnectedAsync();
        Assert.Equal(second.Port, client.CurrentConnection!.Endpoint.Port);
    }
}
