// The HTTP surface (health, readiness, metrics) and graceful shutdown on SIGTERM.
using System.Text;
using Sinew.Broker.Tests.Support;
using Sinew.Protocol.Messages;
using Sinew.Testing;

namespace Sinew.Broker.Tests;

public class HttpAndShutdownTests
{
    [Fact(Timeout = 30_000)]
    public async Task Metrics_report_publishes_deliveries_acks_depth_connections_and_fsync_latency()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("orders");
        for (var i = 0; i < 3; i++)
        {
            await client.PublishAsync("orders", Encoding.UTF8.GetBytes("x"));
        }

        await client.SubscribeAsync("orders");
        await client.AckAsync((await client.NextDeliveryAsync()).DeliveryId);
        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("sinew_messages_published_total{topic=\"orders\",group=\"\"} 3", metrics, StringComparison.Ordinal);
        Assert.Contains("sinew_messages_acked_total{topic=\"orders\",group=\"\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("sinew_queue_depth{topic=\"orders\",group=\"\"} 2", metrics, StringComparison.Ordinal);
        Assert.Contains("sinew_connections 1", metrics, StringComparison.Ordinal);
        Assert.Contains("sinew_fsync_duration_seconds_count", metrics, StringComparison.Ordinal);
        Assert.Contains("process_working_set_bytes", metrics, StringComparison.Ordinal);
        Assert.Equal("ok\n", await http.GetStringAsync("/healthz"));
        Assert.Contains("\"ready\":true", await http.GetStringAsync("/readyz"), StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task The_root_path_names_the_broker_and_lists_every_path_the_port_serves_each_of_which_answers()
    {
        await using var broker = await TestBroker.StartAsync();
        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        using var index = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/"));
        Assert.Equal("sinew-broker", index.RootElement.GetProperty("name").GetString());
        Assert.Matches(@"^\d+\.\d+\.\d+$", index.RootElement.GetProperty("version").GetString());
        var listed = index.RootElement.GetProperty("endpoints").EnumerateArray()
            .Select(e => (Method: e.GetProperty("method").GetString()!, Path: e.GetProperty("path").GetString()!)).ToList();
        Assert.Contains(("GET", "/metrics"), listed);
        // A path naming a queue is asked about a queue that exists (purged before it is deleted, as the index lists them).
        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("index-probe");
        }

        foreach (var (method, path) in listed)
        {
            // An empty body: a PUT must be refused for what it carries, not routed nowhere.
            using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{topic}", "index-probe", StringComparison.Ordinal)) { Content = method == "PUT" ? new StringContent("") : null };
            using var response = await http.SendAsync(request);
            Assert.True(response.StatusCode != System.Net.HttpStatusCode.NotFound && response.StatusCode != System.Net.HttpStatusCode.MethodNotAllowed,
                $"{method} {path} is listed but answers {(int)response.StatusCode}");
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task With_auth_enabled_the_admin_endpoints_ask_for_a_configured_user_and_probes_stay_open()
    {
        await using var broker = await TestBroker.StartAsync(o =>
        {
            o.Auth.Enabled = true;
            o.Auth.Users.Add("alice:s3cret");
        });
        using var http = new HttpClient { BaseAddress = broker.HttpBase };

        static System.Net.Http.Headers.AuthenticationHeaderValue Basic(string pair) =>
            new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));

        async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, System.Net.Http.Headers.AuthenticationHeaderValue? credentials, string? body = null)
        {
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = credentials;
            return await http.SendAsync(request);
        }

        foreach (var credentials in new[] { null, Basic("alice:guess"), Basic("mallory:s3cret"), Basic("alice"), new("Basic", "not base64!"), new("Bearer", "s3cret") })
        {
            using var queues = await SendAsync(HttpMethod.Get, "/admin/queues", credentials);
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, queues.StatusCode);
            Assert.Equal("Basic", Assert.Single(queues.Headers.WwwAuthenticate).Scheme);
            using var connections = await SendAsync(HttpMethod.Get, "/admin/connections", credentials);
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, connections.StatusCode);
            using var put = await SendAsync(HttpMethod.Put, "/admin/dead-letter-target", credentials, """{"topic":"dead-letters"}""");
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, put.StatusCode);
        }

        // Refused requests changed nothing: the target is still the default, the broker's own queue.
        using (var target = await SendAsync(HttpMethod.Get, "/admin/dead-letter-target", Basic("alice:s3cret")))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, target.StatusCode);
            Assert.Contains("\"topic\":\"$dead-letters\",\"group\":null,\"default\":true", await target.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var put = await SendAsync(HttpMethod.Put, "/admin/dead-letter-target", Basic("alice:s3cret"), """{"topic":"dead-letters"}"""))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, put.StatusCode);
        }

        using (var deleted = await SendAsync(HttpMethod.Delete, "/admin/dead-letter-target", Basic("alice:s3cret")))
        {
            Assert.Equal(System.Net.HttpStatusCode.NoContent, deleted.StatusCode);
        }

        Assert.Equal("ok\n", await http.GetStringAsync("/healthz"));
        Assert.Contains("\"ready\":true", await http.GetStringAsync("/readyz"), StringComparison.Ordinal);
        Assert.Contains("sinew_connections", await http.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task Without_auth_the_admin_endpoints_need_no_credentials()
    {
        await using var broker = await TestBroker.StartAsync();
        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        using var queues = await http.GetAsync("/admin/queues");
        Assert.Equal(System.Net.HttpStatusCode.OK, queues.StatusCode);
    }

    [Fact(Timeout = 60_000)]
    public async Task Sigterm_ends_subscriptions_with_server_shutdown_exits_zero_and_keeps_unsettled_messages()
    {
        var dataDir = TempDirectory.Create("sigterm");
        await using (var broker = await BrokerProcess.StartAsync(dataDir))
        {
            await using var client = await RawClient.ConnectAsync(broker.Endpoint);
            await client.DeclareAsync("jobs");
            await client.PublishAsync("jobs", Encoding.UTF8.GetBytes("unfinished"));
            var subscription = await client.SubscribeAsync("jobs");
            await client.NextDeliveryAsync();
            var exit = broker.TerminateAsync(TimeSpan.FromSeconds(15));
            SubscriptionClosed? notice = null;
            while (notice is null)
            {
                notice = (await client.NextPushAsync()).Message as SubscriptionClosed;
            }

            Assert.Equal(subscription, notice.SubscriptionId);
            Assert.Equal(CloseReason.ServerShutdown, notice.Reason);
            await client.WaitClosedAsync();
            Assert.Equal(0, await exit);
        }

        await using var restarted = await BrokerProcess.StartAsync(dataDir);
        await using var after = await RawClient.ConnectAsync(restarted.Endpoint);
        await after.SubscribeAsync("jobs");
        var again = await after.NextDeliveryAsync();
        Assert.Equal("unfinished", Encoding.UTF8.GetString(again.Payload.Span));
        Assert.Equal(2u, again.Attempt);
        TempDirectory.Delete(dataDir);
    }

    [Fact(Timeout = 60_000)]
    public async Task Sigterm_runs_the_shutdown_sequence_once()
    {
        var dataDir = TempDirectory.Create("sigterm-once");
        await using (var broker = await BrokerProcess.StartAsync(dataDir))
        {
            await using (var client = await RawClient.ConnectAsync(broker.Endpoint))
            {
                await client.DeclareAsync("jobs");
            }

            Assert.Equal(0, await broker.TerminateAsync(TimeSpan.FromSeconds(15)));
            var log = broker.StandardError;
            Assert.Equal(1, CountOccurrences(log, "Shutting down:"));
            Assert.Equal(1, CountOccurrences(log, "Shutdown complete"));
        }

        TempDirectory.Delete(dataDir);
    }

    [Fact(Timeout = 60_000)]
    public async Task Sigterm_closes_connected_clients_at_once_instead_of_at_the_shutdown_deadline()
    {
        var dataDir = TempDirectory.Create("sigterm-prompt");
        // The default shutdown timeout is 10 s; a connection kept open until its deadline would take 5 s.
        await using (var broker = await BrokerProcess.StartAsync(dataDir))
        {
            await using var idle = await RawClient.ConnectAsync(broker.Endpoint);
            await using var subscriber = await RawClient.ConnectAsync(broker.Endpoint);
            await subscriber.DeclareAsync("jobs");
            await subscriber.SubscribeAsync("jobs");
            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            var exit = broker.TerminateAsync(TimeSpan.FromSeconds(15));
            await idle.WaitClosedAsync(TimeSpan.FromSeconds(3));
            await subscriber.WaitClosedAsync(TimeSpan.FromSeconds(3));
            Assert.Equal(0, await exit);
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(3), $"the broker took {stopwatch.Elapsed} to stop");
        }

        TempDirectory.Delete(dataDir);
    }

    [Fact(Timeout = 60_000)]
    public async Task Sigterm_sends_every_client_a_going_away_notice_after_its_subscription_notices()
    {
        var dataDir = TempDirectory.Create("sigterm-going-away");
        await using (var broker = await BrokerProcess.StartAsync(dataDir))
        {
            await using var idle = await RawClient.ConnectAsync(broker.Endpoint);
            await using var subscriber = await RawClient.ConnectAsync(broker.Endpoint);
            await subscriber.DeclareAsync("jobs");
            await subscriber.SubscribeAsync("jobs");
            var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var exit = broker.TerminateAsync(TimeSpan.FromSeconds(15));

            var idleNotice = Assert.IsType<GoingAway>((await idle.NextPushAsync()).Message);
            Assert.Contains("shutting down", idleNotice.Message, StringComparison.Ordinal);
            Assert.Null(idleNotice.ReconnectTo);
            // The deadline is when the broker closes connections at the latest: within the shutdown timeout.
            Assert.InRange(idleNotice.DeadlineAtMs, (ulong)before, (ulong)(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 10_000));

            Assert.IsType<SubscriptionClosed>((await subscriber.NextPushAsync()).Message);
            Assert.IsType<GoingAway>((await subscriber.NextPushAsync()).Message);
            await idle.WaitClosedAsync();
            await subscriber.WaitClosedAsync();
            Assert.Equal(0, await exit);
        }

        TempDirectory.Delete(dataDir);
    }

    private static int CountOccurrences(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
