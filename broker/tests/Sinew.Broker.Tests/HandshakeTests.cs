// The handshake: version negotiation, authentication, the first-frame rule, timeouts and heartbeats.
using Sinew.Broker.Tests.Support;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Tests;

public class HandshakeTests
{
    [Fact(Timeout = 30_000)]
    public async Task Hello_is_answered_with_version_1_the_limits_and_a_resume_token()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await RawClient.ConnectAsync(broker.Endpoint);
        var welcome = client.Welcome!;
        Assert.Equal(1, welcome.Version);
        Assert.False(welcome.Resumed);
        Assert.Equal(32, welcome.ResumeToken.Length);
        Assert.Equal((uint)FrameLimits.DefaultMaxFrameBytes, welcome.Limits.MaxFrameBytes);
        Assert.StartsWith("broker-", welcome.ServerId, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_client_offering_only_newer_versions_gets_protocol_mismatch_and_is_closed()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await RawClient.ConnectAsync(broker.Endpoint, handshake: false);
        var error = await client.FailAsync(new Hello(2, 3, "future", "9.0"), ErrorCode.ProtocolMismatch);
        Assert.Equal("1", error.Details!["supported"]);
        await client.WaitClosedAsync();
    }

    [Fact(Timeout = 30_000)]
    public async Task An_op_before_hello_is_a_protocol_violation_and_closes_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await RawClient.ConnectAsync(broker.Endpoint, handshake: false);
        await client.FailAsync(new DeclareQueue("orders"), ErrorCode.ProtocolViolation);
        await client.WaitClosedAsync();
    }

    [Fact(Timeout = 30_000)]
    public async Task A_second_hello_is_a_protocol_violation()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.FailAsync(new Hello(1, 1, "again", "1"), ErrorCode.ProtocolViolation);
        await client.WaitClosedAsync();
    }

    [Fact(Timeout = 30_000)]
    public async Task With_auth_enabled_missing_or_wrong_credentials_are_unauthorized_and_right_ones_connect()
    {
        await using var broker = await TestBroker.StartAsync(o =>
        {
            o.Auth.Enabled = true;
            o.Auth.Users.Add("alice:s3cret");
        });

        await using (var anonymous = await RawClient.ConnectAsync(broker.Endpoint, handshake: false))
        {
            await anonymous.FailAsync(new Hello(1, 1, "t", "1"), ErrorCode.Unauthorized);
            await anonymous.WaitClosedAsync();
        }

        await using (var wrong = await RawClient.ConnectAsync(broker.Endpoint, handshake: false))
        {
            await wrong.FailAsync(new Hello(1, 1, "t", "1", new Auth(AuthMechanism.Plain, "alice", "guess")), ErrorCode.Unauthorized);
            await wrong.WaitClosedAsync();
        }

        await using var right = await RawClient.ConnectAsync(broker.Endpoint, auth: new Auth(AuthMechanism.Plain, "alice", "s3cret"));
        Assert.NotNull(right.Welcome);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_connection_that_never_says_hello_is_closed_after_the_handshake_timeout()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Connection.HandshakeTimeoutMs = 500);
        await using var client = await RawClient.ConnectAsync(broker.Endpoint, handshake: false);
        await client.WaitClosedAsync(TimeSpan.FromSeconds(10));
    }

    [Fact(Timeout = 30_000)]
    public async Task The_broker_pings_an_idle_client_and_closes_one_that_stays_silent_for_three_intervals()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await RawClient.ConnectAsync(broker.Endpoint, heartbeatMs: 1000);
        Assert.Equal(1000UL, client.Welcome!.HeartbeatMs);
        client.AnswerPings = false;
        var ping = await client.NextPushAsync(TimeSpan.FromSeconds(5));
        Assert.IsType<Ping>(ping.Message);
        await client.WaitClosedAsync(TimeSpan.FromSeconds(10));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_client_answering_pings_stays_connected()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await RawClient.ConnectAsync(broker.Endpoint, heartbeatMs: 1000);
        await Task.Delay(4500);
        Assert.False(client.Closed.IsCompleted);
        await client.CallAsync<Pong>(Ping.Instance);
    }
}
