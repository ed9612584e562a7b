// The going-away notice of a real broker stopping gracefully (SIGTERM), as the client sees it: its subscriptions end
// with server_shutdown first, then the notice is logged with the broker's reason and its deadline (half the shutdown
// timeout away) and no other endpoint, then the connection closes. The loss reaches OnError as the only error (the
// notice itself is no error), an operation while the broker is away fails typed, and once it is back the client
// reconnects to its configured endpoint. What a notice naming another endpoint does is checked on the fake
// (Engine/ReconnectTests.cs): a single broker never names one.
using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(OwnBrokers.Name)]
public partial class GoingAwayOnRealBrokerTests
{
    // The fixture's shutdown.timeout_ms; the broker holds connections for half of it.
    private const long ShutdownTimeoutMs = 2000;

    [Fact(Timeout = 60_000)]
    public async Task A_graceful_stop_ends_subscriptions_then_gives_notice_then_closes_and_the_client_reconnects_to_its_endpoint()
    {
        await using var broker = await SinewBrokerFixture.StartAsync();
        var log = new RecordingLoggerProvider();
        using var loggerFactory = log.CreateFactory();
        var errors = new ConcurrentQueue<SinewException>();
        await using var client = await broker.ConnectAsync(o =>
        {
            o.LoggerFactory = loggerFactory;
            o.OnError = errors.Enqueue;
        });
        var topic = RealBroker.UniqueTopic("going-away");
        await client.DeclareQueueAsync(topic);
        await client.CreatePublisher(topic).PublishAsync(OutgoingMessage.FromText("held"));
        var subscription = await client.SubscribeAsync(topic);
        Assert.Equal("held", (await RealBroker.ReceiveAsync(subscription)).Text);
        var firstSession = client.ServerInfo!.SessionId;

        var stopping = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await broker.StopAsync();
        var stopped = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await TestClients.EventuallyAsync(() => !client.IsConnected, "the client saw the connection close");

        var ended = await Assert.ThrowsAsync<SubscriptionEndedException>(() => RealBroker.ReceiveAsync(subscription));
        Assert.Equal(SubscriptionEndReason.ServerShutdown, ended.Reason);

        var entries = log.Entries;
        var notice = Assert.Single(entries, e => e.Id.Id == SinewLogEvents.GoingAway);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Information, notice.Level);
        var said = NoticePattern().Match(notice.Message);
        Assert.True(said.Success, notice.Message);
        Assert.Equal(broker.ProtocolEndpoint, said.Groups["endpoint"].Value);
        Assert.Equal("the broker is shutting down", said.Groups["message"].Value);
        Assert.Equal("(null)", said.Groups["target"].Value);
        Assert.InRange(long.Parse(said.Groups["deadline"].Value, CultureInfo.InvariantCulture),
            stopping + (ShutdownTimeoutMs / 2), stopped + (ShutdownTimeoutMs / 2));

        // In the order the broker sends them: every subscription's end, the notice, then the close.
        var order = entries.Select(e => e.Id.Id)
            .Where(id => id is SinewLogEvents.SubscriptionEnded or SinewLogEvents.GoingAway or SinewLogEvents.ConnectionLost).ToList();
        Assert.Equal([SinewLogEvents.SubscriptionEnded, SinewLogEvents.GoingAway, SinewLogEvents.ConnectionLost], order);
        Assert.IsType<ConnectionLostException>(Assert.Single(errors));

        // While the broker is away an operation fails as a connection failure, after the reconnection attempts.
        await Assert.ThrowsAsync<ConnectionException>(() => client.DeclareQueueAsync(topic));

        // Back on the same port: the configured endpoint, since the notice named no other.
        await broker.StartAgainAsync();
        await using var again = await client.SubscribeAsync(topic);
        Assert.Equal(broker.ProtocolEndpoint, client.CurrentConnection!.Endpoint.ToString());
        Assert.NotEqual(firstSession, client.ServerInfo!.SessionId);
        var redelivered = await RealBroker.ReceiveAsync(again);
        Assert.Equal(("held", 2), (redelivered.Text, redelivered.Attempt));
        await redelivered.AckAsync();
    }

    [GeneratedRegex(@"^The broker at (?<endpoint>\S+) is going away at (?<deadline>\d+) \(unix ms\): (?<message>.+); reconnecting to (?<target>\S+) afterwards")]
    private static partial Regex NoticePattern();
}
