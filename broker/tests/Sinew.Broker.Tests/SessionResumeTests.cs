// Resume and the reconnect grace window over real connections (specification sections 4.5, 4.6 and 8.10): a session
// whose connection breaks stays dormant, holding its deliveries and receiving nothing, until a client resumes it with
// its token (once, as the same user) or the window passes and everything returns as from a broken connection; and
// Reconcile keeps, restores or closes the subscriptions the client lists.
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Sinew.Broker.Tests.Support;
using Sinew.Protocol.Messages;
using Sinew.Testing;

namespace Sinew.Broker.Tests;

public class SessionResumeTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(DeliveredMessage delivery) => Encoding.UTF8.GetString(delivery.Payload.Span);

    private static Task<TestBroker> StartAsync(long graceMs, Action<Configuration.BrokerOptions>? configure = null) =>
        TestBroker.StartAsync(o =>
        {
            o.Connection.ReconnectGraceMs = graceMs;
            configure?.Invoke(o);
        });

    private static Task<RawClient> ResumeAsync(TestBroker broker, byte[] token, Auth? auth = null) =>
        RawClient.ConnectAsync(broker.Endpoint, auth: auth, resumeToken: token);

    private static byte[] TokenOf(RawClient client) => client.Welcome!.ResumeToken.ToArray();

    /// <summary>Waits until the admin endpoint shows the session dormant: the broker has seen its connection break.</summary>
    private static async Task<JsonNode> WaitDormantAsync(TestBroker broker, string sessionId, string? basicAuth = null)
    {
        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        if (basicAuth is not null)
        {
            http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(basicAuth)));
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var body = JsonNode.Parse(await http.GetStringAsync("/admin/connections"))!;
            var dormant = body["connections"]!.AsArray()
                .FirstOrDefault(c => (string?)c!["session_id"] == sessionId && (string?)c["state"] == "dormant");
            if (dormant is not null)
            {
                return dormant;
            }

            Assert.True(DateTime.UtcNow < deadline, $"session {sessionId} never became dormant: {body}");
            await Task.Delay(20);
        }
    }

    /// <summary>The next Deliver frame, for the subscription id it carries.</summary>
    private static async Task<Deliver> NextDeliverAsync(RawClient client)
    {
        while (true)
        {
            if ((await client.NextPushAsync()).Message is Deliver deliver)
            {
                return deliver;
            }
        }
    }

    /// <summary>A consumer that takes <paramref name="payload"/> from "jobs" and holds it unsettled, then breaks its connection.</summary>
    private static async Task<(string SessionId, byte[] Token, ulong Subscription, DeliveredMessage Held)> HoldAndCutAsync(TestBroker broker,
        string payload, Auth? auth = null)
    {
        await using var consumer = await RawClient.ConnectAsync(broker.Endpoint, auth: auth);
        await consumer.DeclareAsync("jobs");
        await consumer.PublishAsync("jobs", Bytes(payload));
        var subscription = await consumer.SubscribeAsync("jobs");
        var held = await consumer.NextDeliveryAsync();
        Assert.Equal(payload, Text(held));
        return (consumer.Welcome!.SessionId, TokenOf(consumer), subscription, held);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_session_resumed_within_the_window_keeps_its_deliveries_and_accepts_a_late_ack()
    {
        await using var broker = await StartAsync(60_000);
        var (sessionId, token, _, held) = await HoldAndCutAsync(broker, "held");
        var dormant = await WaitDormantAsync(broker, sessionId);
        Assert.Equal(1, (int)dormant["unsettled_deliveries"]!);
        Assert.Equal(1, (int)dormant["subscriptions"]!);

        await using var resumed = await ResumeAsync(broker, token);
        Assert.True(resumed.Welcome!.Resumed);
        Assert.Equal(sessionId, resumed.Welcome.SessionId);
        Assert.NotEqual(token, TokenOf(resumed));
        Assert.Empty((await resumed.AckAsync(held.DeliveryId)).Failures);

        // The acked message is gone: the subscription, live again, next gets the message published after it.
        await resumed.PublishAsync("jobs", Bytes("next"));
        var next = await resumed.NextDeliveryAsync();
        Assert.Equal(("next", 1UL, 1u, 0u), (Text(next), next.Offset, next.Attempt, next.Failures));
        Assert.True(next.DeliveryId > held.DeliveryId);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_held_delivery_is_not_redelivered_while_dormant_and_keeps_its_attempt_after_resume()
    {
        await using var broker = await StartAsync(60_000);
        var (sessionId, token, _, held) = await HoldAndCutAsync(broker, "held");
        await WaitDormantAsync(broker, sessionId);

        await using var other = await broker.ConnectAsync();
        await other.SubscribeAsync("jobs");
        await using var resumed = await ResumeAsync(broker, token);
        Assert.True(resumed.Welcome!.Resumed);

        // Nacked now, it comes back as the second attempt with one failure: the break did not count one.
        Assert.Empty((await resumed.NackAsync(held.DeliveryId, requeue: true)).Failures);
        var again = await other.NextDeliveryAsync();
        Assert.Equal(("held", 2u, 1u), (Text(again), again.Attempt, again.Failures));
    }

    [Fact(Timeout = 60_000)]
    public async Task After_the_window_the_token_starts_a_new_session_and_the_held_message_returns_with_a_failure()
    {
        await using var broker = await StartAsync(300);
        var (sessionId, token, _, _) = await HoldAndCutAsync(broker, "held");

        await using var other = await broker.ConnectAsync();
        await other.SubscribeAsync("jobs");
        var again = await other.NextDeliveryAsync();
        Assert.Equal(("held", 2u, 1u), (Text(again), again.Attempt, again.Failures));

        await using var late = await ResumeAsync(broker, token);
        Assert.False(late.Welcome!.Resumed);
        Assert.NotEqual(sessionId, late.Welcome.SessionId);
    }

    [Fact(Timeout = 60_000)]
    public async Task With_no_grace_window_a_broken_connection_returns_its_deliveries_at_once_and_cannot_be_resumed()
    {
        await using var broker = await StartAsync(0);
        var (sessionId, token, _, _) = await HoldAndCutAsync(broker, "held");

        await using var other = await broker.ConnectAsync();
        await other.SubscribeAsync("jobs");
        var again = await other.NextDeliveryAsync();
        Assert.Equal(("held", 2u, 1u), (Text(again), again.Attempt, again.Failures));

        await using var late = await ResumeAsync(broker, token);
        Assert.False(late.Welcome!.Resumed);
        Assert.NotEqual(sessionId, late.Welcome.SessionId);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_token_presented_by_another_user_is_unknown_and_leaves_the_session_dormant()
    {
        await using var broker = await StartAsync(60_000, o =>
        {
            o.Auth.Enabled = true;
            o.Auth.Users.Add("alice:s3cret");
            o.Auth.Users.Add("bob:hunter2");
        });
        var alice = new Auth(AuthMechanism.Plain, "alice", "s3cret");
        var (sessionId, token, _, _) = await HoldAndCutAsync(broker, "held", alice);
        await WaitDormantAsync(broker, sessionId, "alice:s3cret");

        await using (var bob = await ResumeAsync(broker, token, new Auth(AuthMechanism.Plain, "bob", "hunter2")))
        {
            Assert.False(bob.Welcome!.Resumed);
            Assert.NotEqual(sessionId, bob.Welcome.SessionId);
        }

        await using var resumed = await ResumeAsync(broker, token, alice);
        Assert.True(resumed.Welcome!.Resumed);
        Assert.Equal(sessionId, resumed.Welcome.SessionId);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_token_resumes_once_and_each_resume_hands_out_a_fresh_one()
    {
        await using var broker = await StartAsync(60_000);
        var (sessionId, first, _, _) = await HoldAndCutAsync(broker, "held");
        await WaitDormantAsync(broker, sessionId);

        byte[] second;
        await using (var resumed = await ResumeAsync(broker, first))
        {
            Assert.True(resumed.Welcome!.Resumed);
            second = TokenOf(resumed);
        }

        await WaitDormantAsync(broker, sessionId);
        await using (var reused = await ResumeAsync(broker, first))
        {
            Assert.False(reused.Welcome!.Resumed);
        }

        await using var again = await ResumeAsync(broker, second);
        Assert.True(again.Welcome!.Resumed);
        Assert.Equal(sessionId, again.Welcome.SessionId);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_dormant_subscription_receives_nothing_and_deliveries_continue_under_its_id_after_resume()
    {
        await using var broker = await StartAsync(60_000);
        var (sessionId, token, subscription, _) = await HoldAndCutAsync(broker, "held");
        await WaitDormantAsync(broker, sessionId);

        // Both subscriptions have credit; the dormant one is passed over, so the live one takes every message.
        await using (var live = await broker.ConnectAsync())
        {
            await live.SubscribeAsync("jobs");
            for (var i = 0; i < 3; i++)
            {
                await live.PublishAsync("jobs", Bytes($"while-dormant-{i}"));
            }

            for (var i = 0; i < 3; i++)
            {
                Assert.Equal($"while-dormant-{i}", Text(await live.NextDeliveryAsync()));
            }

            await live.AckAsync(1, 2, 3);
            await live.CallAsync<Ok>(new Goodbye());
        }

        await using var resumed = await ResumeAsync(broker, token);
        Assert.True(resumed.Welcome!.Resumed);
        await resumed.PublishAsync("jobs", Bytes("after"));
        var deliver = await NextDeliverAsync(resumed);
        Assert.Equal(subscription, deliver.SubscriptionId);
        Assert.Equal("after", Text(Assert.Single(deliver.Messages)));
    }

    [Fact(Timeout = 60_000)]
    public async Task Past_the_bound_on_dormant_sessions_the_one_dormant_longest_ends_and_returns_what_it_held()
    {
        // The bound is max_connections: here two dormant sessions at most.
        await using var broker = await StartAsync(60_000, o => o.Limits.MaxConnections = 2);
        var sessions = new List<(string SessionId, byte[] Token)>();
        for (var i = 0; i < 3; i++)
        {
            await using (var consumer = await broker.ConnectAsync())
            {
                await consumer.DeclareAsync($"jobs-{i}");
                await consumer.PublishAsync($"jobs-{i}", Bytes($"held-{i}"));
                await consumer.SubscribeAsync($"jobs-{i}");
                Assert.Equal($"held-{i}", Text(await consumer.NextDeliveryAsync()));
                sessions.Add((consumer.Welcome!.SessionId, TokenOf(consumer)));
            }

            await WaitDormantAsync(broker, sessions[i].SessionId);
        }

        // The first session ended when the third became dormant: its message is back, with the failure of the break.
        await using (var other = await broker.ConnectAsync())
        {
            await other.SubscribeAsync("jobs-0");
            var returned = await other.NextDeliveryAsync();
            Assert.Equal(("held-0", 2u, 1u), (Text(returned), returned.Attempt, returned.Failures));
            await other.CallAsync<Ok>(new Goodbye());
        }

        await using (var first = await ResumeAsync(broker, sessions[0].Token))
        {
            Assert.False(first.Welcome!.Resumed);
            await first.CallAsync<Ok>(new Goodbye());
        }

        await using var third = await ResumeAsync(broker, sessions[2].Token);
        Assert.True(third.Welcome!.Resumed);
        Assert.Equal(sessions[2].SessionId, third.Welcome.SessionId);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_session_that_said_goodbye_cannot_be_resumed()
    {
        await using var broker = await StartAsync(60_000);
        byte[] token;
        await using (var client = await broker.ConnectAsync())
        {
            token = TokenOf(client);
            await client.CallAsync<Ok>(new Goodbye());
        }

        await using var late = await ResumeAsync(broker, token);
        Assert.False(late.Welcome!.Resumed);
    }

    [Fact(Timeout = 60_000)]
    public async Task Reconcile_keeps_listed_subscriptions_restores_or_closes_the_rest_and_drops_unlisted_ones()
    {
        await using var broker = await StartAsync(60_000);
        string sessionId;
        byte[] token;
        ulong kept, unlisted;
        await using (var consumer = await broker.ConnectAsync())
        {
            foreach (var topic in new[] { "kept", "unlisted", "restored" })
            {
                await consumer.DeclareAsync(topic);
            }

            kept = await consumer.SubscribeAsync("kept", prefetch: 5);
            unlisted = await consumer.SubscribeAsync("unlisted");
            await consumer.PublishAsync("unlisted", Bytes("held"));
            Assert.Equal("held", Text(await consumer.NextDeliveryAsync()));
            sessionId = consumer.Welcome!.SessionId;
            token = TokenOf(consumer);
        }

        await WaitDormantAsync(broker, sessionId);
        await using var resumed = await ResumeAsync(broker, token);
        Assert.True(resumed.Welcome!.Resumed);
        var ok = await resumed.CallAsync<ReconcileOk>(new Reconcile(ReconcilePolicy.Restore,
        [
            new ReconcileEntry(kept, ChannelKind.Queue, "kept", null, null, AckMode.Manual, 5),
            new ReconcileEntry(90, ChannelKind.Queue, "restored", null, null, AckMode.Manual, 10),
            new ReconcileEntry(91, ChannelKind.Queue, "no-such-queue", null, null, AckMode.Manual, 10),
            new ReconcileEntry(92, ChannelKind.Stream, "kept", null, null, AckMode.Manual, 10),
        ]));

        Assert.Equal(4, ok.Results.Count);
        Assert.Equal(new ReconcileResult(kept, ReconcileOutcome.Kept), ok.Results[0]);
        Assert.Equal((90UL, ReconcileOutcome.Restored), (ok.Results[1].SubscriptionId, ok.Results[1].Outcome));
        var restoredId = ok.Results[1].NewSubscriptionId!.Value;
        Assert.NotEqual(kept, restoredId);
        Assert.NotEqual(unlisted, restoredId);
        Assert.Equal(new ReconcileResult(91, ReconcileOutcome.Closed), ok.Results[2]);
        Assert.Equal(new ReconcileResult(92, ReconcileOutcome.Closed), ok.Results[3]);

        await resumed.PublishAsync("kept", Bytes("to-kept"));
        var toKept = await NextDeliverAsync(resumed);
        Assert.Equal((kept, "to-kept"), (toKept.SubscriptionId, Text(Assert.Single(toKept.Messages))));
        await resumed.PublishAsync("restored", Bytes("to-restored"));
        var toRestored = await NextDeliverAsync(resumed);
        Assert.Equal((restoredId, "to-restored"), (toRestored.SubscriptionId, Text(Assert.Single(toRestored.Messages))));

        // The unlisted subscription is gone: its held message went back, a failure since the broken connection carried it.
        await using var other = await broker.ConnectAsync();
        await other.SubscribeAsync("unlisted");
        var returned = await other.NextDeliveryAsync();
        Assert.Equal(("held", 2u, 1u), (Text(returned), returned.Attempt, returned.Failures));
        await resumed.FailAsync(new Unsubscribe(unlisted), Protocol.Errors.ErrorCode.NotFound);
    }

    [Fact(Timeout = 60_000)]
    public async Task Conservative_reconcile_closes_what_the_broker_does_not_have_and_a_mismatched_listing()
    {
        await using var broker = await StartAsync(60_000);
        string sessionId;
        byte[] token;
        ulong subscription;
        await using (var consumer = await broker.ConnectAsync())
        {
            await consumer.DeclareAsync("jobs");
            subscription = await consumer.SubscribeAsync("jobs", prefetch: 5);
            sessionId = consumer.Welcome!.SessionId;
            token = TokenOf(consumer);
        }

        await WaitDormantAsync(broker, sessionId);
        await using var resumed = await ResumeAsync(broker, token);
        var ok = await resumed.CallAsync<ReconcileOk>(new Reconcile(ReconcilePolicy.Conservative,
        [
            new ReconcileEntry(subscription, ChannelKind.Queue, "jobs", null, null, AckMode.Auto, 5),
            new ReconcileEntry(77, ChannelKind.Queue, "jobs", null, null, AckMode.Manual, 5),
        ]));

        Assert.Equal([new ReconcileResult(subscription, ReconcileOutcome.Closed), new ReconcileResult(77, ReconcileOutcome.Closed)], ok.Results);
        await resumed.FailAsync(new Unsubscribe(subscription), Protocol.Errors.ErrorCode.NotFound);
    }
}
