// Reconnection against the fake broker, for what the real one cannot be made to do: change its credentials
// between two connections, fail a connection with a fatal error, or announce that it goes away. The rest of
// reconnection runs against the real broker behind the fault proxy (Broker/ReconnectThroughProxyTests.cs).
using Sinew.Client.Tests.Fakes;
using Sinew.Protocol.Errors;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Engine;

public class ReconnectTests
{
    [Fact(Timeout = 10_000)]
    public async Task Refused_credentials_stop_reconnection_at_once()
    {
        await using var broker = new FakeBroker();
        await using var client = await TestClients.ConnectAsync(broker);
        broker.AnswerHello = ScriptedReplies.Refuse(ErrorCode.Unauthorized, "invalid credentials");
        broker.DropAllConnections();
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client saw the drop");
        var error = await Assert.ThrowsAsync<BrokerException>(() => client.DeclareQueueAsync("orders"));
        Assert.Equal("unauthorized", error.Code);
        Assert.Equal(2, broker.AcceptedConnections);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_fatal_error_before_the_close_is_the_cause_of_the_loss()
    {
        await using var broker = new FakeBroker();
        broker.On<Wire.DeclareQueue>((f, _) =>
        {
            // An unsolicited bad_frame error (request id 0), then the close.
            f.Connection.SendBytes(ScriptedReplies.VectorFrame("error/unsolicited", 0));
            f.Connection.CloseAfterFlush();
        });
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
