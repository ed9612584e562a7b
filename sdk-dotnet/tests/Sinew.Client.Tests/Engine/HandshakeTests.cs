// Connecting: the Hello the client sends, what it takes from a scripted HelloOk, and a fast typed error for every way a
// handshake can fail that a real broker cannot be made to show. Credentials a real broker refuses and the order
// endpoints are tried in run against the real broker (Broker/HandshakeOnRealBrokerTests.cs); a peer that accepts and
// never answers is the real broker behind a blackholing fault proxy (Broker/FaultsThroughProxyTests.cs).
using System.Diagnostics;
using Sinew.Client.Tests.Fakes;
using Sinew.Protocol.Errors;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Engine;

public class HandshakeTests
{
    [Fact(Timeout = 10_000)]
    public async Task Connect_sends_hello_offering_version_1_with_the_client_name_version_and_heartbeat()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker, o => o.Heartbeat = TimeSpan.FromSeconds(3));

        Assert.True(client.IsConnected);
        var hello = Assert.Single(broker.ReceivedOf<Wire.Hello>());
        Assert.Equal(1, hello.MinVersion);
        Assert.Equal(1, hello.MaxVersion);
        Assert.Equal("client-tests", hello.ClientName);
        Assert.False(string.IsNullOrEmpty(hello.ClientVersion));
        Assert.Equal(3000UL, hello.HeartbeatMs);
        Assert.Null(hello.Auth);
        Assert.Null(hello.ResumeToken);
    }

    [Fact(Timeout = 10_000)]
    public async Task Server_info_describes_the_current_session_and_is_absent_without_a_connection()
    {
        await using var broker = new FakeBroker { AnswerHello = ScriptedReplies.HelloOk(4000, new Wire.Limits(1_000_000, 50, 8, 300)) };
        var client = new SinewClient(TestClients.Options(broker.Endpoint));
        Assert.Null(client.ServerInfo);

        await client.EnsureConnectedAsync();
        var info = client.ServerInfo!;
        Assert.Equal(broker.Endpoint, info.Endpoint);
        Assert.Equal("fake-broker", info.ServerId);
        Assert.Equal("0.0.0-test", info.ServerVersion);
        Assert.StartsWith("session-", info.SessionId, StringComparison.Ordinal);
        Assert.Equal(1, info.ProtocolVersion);
        Assert.Equal(TimeSpan.FromSeconds(4), info.Heartbeat);
        Assert.Equal(new BrokerLimits(1_000_000, 50, 8, 300), info.Limits);

        // A reconnection is a new session.
        broker.DropAllConnections();
        await TestClients.EventuallyAsync(() => client.ServerInfo is null, "the drop cleared the server info");
        await client.EnsureConnectedAsync();
        Assert.NotEqual(info.SessionId, client.ServerInfo!.SessionId);

        await client.DisposeAsync();
        Assert.Null(client.ServerInfo);
    }

    [Fact(Timeout = 10_000)]
    public async Task Plain_credentials_are_sent_in_hello_and_accepted()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker, o => o.Credentials = SinewCredentials.Plain("alice", "s3cret"));
        var auth = Assert.Single(broker.ReceivedOf<Wire.Hello>()).Auth!;
        Assert.Equal(Wire.AuthMechanism.Plain, auth.Mechanism);
        Assert.Equal("alice", auth.Identity);
        Assert.Equal("s3cret", auth.Secret);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_token_is_sent_with_an_empty_identity()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker, o => o.Credentials = SinewCredentials.Token("tok-1"));
        var auth = Assert.Single(broker.ReceivedOf<Wire.Hello>()).Auth!;
        Assert.Equal(Wire.AuthMechanism.Token, auth.Mechanism);
        Assert.Equal(string.Empty, auth.Identity);
        Assert.Equal("tok-1", auth.Secret);
    }

    [Fact(Timeout = 10_000)]
    public async Task No_common_protocol_version_fails_fast_with_protocol_mismatch()
    {
        // The client offers version 1 only; a broker that speaks 2 and 3 refuses it.
        await using var broker = new FakeBroker
        {
            AnswerHello = ScriptedReplies.Refuse(ErrorCode.ProtocolMismatch, "no protocol version in common",
                new Dictionary<string, string> { ["supported"] = "2,3" }),
        };
        var error = await Assert.ThrowsAsync<BrokerException>(() => TestClients.ConnectAsync(broker));
        Assert.Equal("protocol_mismatch", error.Code);
        Assert.Equal("2,3", error.Details["supported"]);
        Assert.Contains("2,3", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 10_000)]
    public async Task An_http_server_is_recognised_as_not_a_sinew_broker_without_waiting_for_the_timeout()
    {
        await using var http = new FakeHttpServer();
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ConnectionException>(() =>
            SinewClient.ConnectAsync(TestClients.Options(http.Endpoint, o => o.ConnectTimeout = TimeSpan.FromSeconds(8))));
        Assert.Equal("connection_failed", error.Code);
        Assert.True(error.IsRetryable);
        Assert.Contains("not a Sinew broker", error.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"took {clock.Elapsed}");
    }

    [Fact(Timeout = 10_000)]
    public async Task A_refused_connection_is_a_connection_error_naming_the_endpoint()
    {
        var port = FreePort();
        var error = await Assert.ThrowsAsync<ConnectionException>(() => SinewClient.ConnectAsync(TestClients.Options($"127.0.0.1:{port}")));
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 10_000)]
    public async Task When_every_endpoint_fails_the_error_lists_each_failure()
    {
        var first = $"127.0.0.1:{FreePort()}";
        var second = $"127.0.0.1:{FreePort()}";
        var error = await Assert.ThrowsAsync<ConnectionException>(() => SinewClient.ConnectAsync(TestClients.Options(first, o => o.Endpoints = [first, second])));
        Assert.Contains("any of the 2 endpoints", error.Message, StringComparison.Ordinal);
        Assert.Contains(first, error.Message, StringComparison.Ordinal);
        Assert.Contains(second, error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 10_000)]
    public async Task The_negotiated_limits_and_heartbeat_come_from_hello_ok()
    {
        await using var broker = new FakeBroker { AnswerHello = ScriptedReplies.HelloOk(250, new Wire.Limits(1 << 20, 10, 8, 500)) };
        await using var client = await TestClients.ConnectAsync(broker);
        var connection = client.CurrentConnection!;
        Assert.Equal(250, connection.HeartbeatMs);
        Assert.Equal(1 << 20, connection.MaxBodyBytes);
        Assert.Equal(8u, connection.Limits.MaxHeaders);
    }

    [Theory(Timeout = 10_000)]
    [InlineData(300_001UL)]
    [InlineData(ulong.MaxValue)]
    public async Task A_heartbeat_announced_above_five_minutes_is_used_as_five_minutes(ulong announced)
    {
        await using var broker = new FakeBroker { AnswerHello = ScriptedReplies.HelloOk(announced) };
        await using var client = await TestClients.ConnectAsync(broker);
        Assert.Equal(300_000, client.CurrentConnection!.HeartbeatMs);
        Assert.Equal(TimeSpan.FromMinutes(5), client.ServerInfo!.Heartbeat);
    }

    /// <summary>A port nobody listens on: bound, then released.</summary>
    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
