// Deleting a queue over HTTP: its subscriptions end with SubscriptionClosed(deleted), the pushed catalogue drops it,
// consumers holding its messages make the delete wait for force, and the deletion is durable: it survives a restart,
// and a stop halfway through leaves no half queue that the next start would quarantine.
using System.Net;
using System.Text;
using Sinew.Broker.Storage;
using Sinew.Broker.Tests.Support;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Tests;

public class QueueDeletionTests
{
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("x");

    [Fact(Timeout = 30_000)]
    public async Task Deleting_a_queue_ends_its_subscriptions_as_deleted_and_pushes_a_topology_without_it()
    {
        await using var broker = await TestBroker.StartAsync();
        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        await using var consumer = await broker.ConnectAsync();
        await consumer.DeclareAsync("doomed", partitions: 2);
        await consumer.DeclareAsync("kept");
        var subscription = await consumer.SubscribeAsync("doomed");
        await using var watcher = await broker.ConnectAsync();
        var before = await watcher.CallAsync<Topology>(TopologyRequest.Instance);
        Assert.Contains(before.Channels, c => c.Topic == "doomed");

        for (var i = 0; i < 3; i++)
        {
            await consumer.PublishAsync("kept", new byte[1000]);
        }

        var resident = broker.Host.Context.Services.Resident.Bytes;
        for (var i = 0; i < 20; i++)
        {
            await consumer.PublishAsync("doomed", new byte[1000], partition: (uint)(i % 2), delayMs: 3_600_000);
        }

        Assert.True(broker.Host.Context.Services.Resident.Bytes >= resident + 20_000, "the doomed queue's delayed bodies are held in memory");

        var answer = await http.DeleteQueueAsync("doomed");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(1, answer.Body.GetProperty("subscriptions_closed").GetInt32());
        var closed = await NextClosedAsync(consumer);
        Assert.Equal((subscription, CloseReason.Deleted), (closed.SubscriptionId, closed.Reason));
        var (pushed, _) = await watcher.TopologyAtLeastAsync(before.Generation + 1);
        Assert.Equal(["$dead-letters", "kept"], pushed.Channels.Select(c => c.Topic));
        Assert.Null(await http.AdminQueueAsync("doomed"));
        // Their room in the resident budget is given back.
        Assert.Equal(resident, broker.Host.Context.Services.Resident.Bytes);

        // Gone for every request: publishing, subscribing, deleting again.
        await consumer.FailAsync(new Publish("doomed", null, new PublishMessage(Payload)), ErrorCode.NotFound, FrameFlags.Confirm);
        await consumer.FailAsync(new Subscribe("doomed", null, null, AckMode.Manual, 10), ErrorCode.NotFound);
        var again = await http.DeleteQueueAsync("doomed");
        Assert.Equal((HttpStatusCode.NotFound, "not_found"), (again.Status, again.Code));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_delete_is_refused_while_a_consumer_holds_a_message_and_a_forced_one_makes_its_ack_stale()
    {
        await using var broker = await TestBroker.StartAsync();
        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        await using var consumer = await broker.ConnectAsync();
        await consumer.DeclareAsync("busy");
        await consumer.PublishAsync("busy", Payload);
        var subscription = await consumer.SubscribeAsync("busy");
        var held = await consumer.NextDeliveryAsync();

        var refused = await http.DeleteQueueAsync("busy");
        Assert.Equal((HttpStatusCode.Conflict, "conflict", "messages_held", "1"),
            (refused.Status, refused.Code, refused.Detail("reason"), refused.Detail("held")));
        Assert.NotNull(await http.AdminQueueAsync("busy"));
        var notForced = await http.DeleteQueueAsync("busy", "?force=false");
        Assert.Equal(HttpStatusCode.Conflict, notForced.Status);

        var forced = await http.DeleteQueueAsync("busy", "?force=true");

        Assert.Equal(HttpStatusCode.OK, forced.Status);
        Assert.Equal(1, forced.Body.GetProperty("held_deliveries_dropped").GetInt32());
        var closed = await NextClosedAsync(consumer);
        Assert.Equal((subscription, CloseReason.Deleted), (closed.SubscriptionId, closed.Reason));
        var settled = await consumer.AckAsync(held.DeliveryId);
        Assert.Equal((ushort)ErrorCode.StaleDelivery, Assert.Single(settled.Failures).Code);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_deleted_queue_declared_again_starts_at_offset_zero_and_a_deletion_survives_a_restart()
    {
        await using var broker = await TestBroker.StartAsync();
        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("reborn");
            for (var i = 0; i < 3; i++)
            {
                await client.PublishAsync("reborn", Payload);
            }

            // A name that looks like a deleted directory's is still an ordinary queue.
            await client.DeclareAsync("looks~deleted-like.deleted-this");
            await client.DeclareAsync("gone", partitions: 2);
            await client.PublishAsync("gone", Payload);

            Assert.Equal(HttpStatusCode.OK, (await http.DeleteQueueAsync("reborn")).Status);
            Assert.Equal(HttpStatusCode.OK, (await http.DeleteQueueAsync("gone")).Status);
            var declared = await client.CallAsync<DeclareQueueOk>(new DeclareQueue("reborn", null, 1, new DeadLetterPolicy(DeadLetterKind.Discard), null, null, null));
            Assert.True(declared.Created);
            Assert.Equal(0UL, (await client.PublishAsync("reborn", Payload)).Offset);
        }

        await broker.RestartAsync();
        await broker.AssertBecomesReadyAsync();
        using var afterRestart = new HttpClient { BaseAddress = broker.HttpBase };
        Assert.Null(await afterRestart.AdminQueueAsync("gone"));
        var reborn = await afterRestart.AdminQueueAsync("reborn");
        Assert.Equal(1, reborn!.Value.GetProperty("partition_stats")[0].GetProperty("unsettled").GetInt32());
        await using var after = await broker.ConnectAsync();
        await after.FailAsync(new Publish("gone", null, new PublishMessage(Payload)), ErrorCode.NotFound, FrameFlags.Confirm);
        Assert.Equal(1UL, (await after.PublishAsync("reborn", Payload)).Offset);
        Assert.NotNull(await afterRestart.AdminQueueAsync("looks~deleted-like.deleted-this"));
        // Three queues on disk: $dead-letters, reborn and the look-alike; nothing left of the deleted ones.
        Assert.Equal(3, Directory.GetDirectories(Path.Combine(broker.DataDir, "queues")).Length);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_stop_after_the_durable_rename_of_a_delete_leaves_no_queue_and_no_quarantine_and_the_next_start_removes_the_rest()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("halfway", partitions: 2);
            await client.PublishAsync("halfway", Payload);
            await client.PublishAsync("halfway", Payload);
        }

        // The removal fails after the rename, as a crash at that point would stop it: the renamed directory stays.
        broker.Host.Context.Services.StorageFaults.Inject = (operation, _) =>
            operation == StorageOperation.RemoveQueue ? new IOException("stopped in the middle of a delete") : null;
        using (var http = new HttpClient { BaseAddress = broker.HttpBase })
        {
            var answer = await http.DeleteQueueAsync("halfway");
            Assert.Equal(HttpStatusCode.InternalServerError, answer.Status);
        }

        var queues = Path.Combine(broker.DataDir, "queues");
        var left = Assert.Single(Directory.GetDirectories(queues), d => Path.GetFileName(d).StartsWith("halfway", StringComparison.Ordinal));
        Assert.Contains("~deleted-", Path.GetFileName(left), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(left, "queue.json")), "the renamed directory still holds the queue's files");

        broker.Host.Context.Services.StorageFaults.Inject = null;
        await broker.RestartAsync();
        await broker.AssertBecomesReadyAsync();

        Assert.False(Directory.Exists(left));
        Assert.DoesNotContain(Directory.GetDirectories(queues), d => Path.GetFileName(d).StartsWith("halfway", StringComparison.Ordinal));
        Assert.DoesNotContain(broker.Log.Lines, l => l.Contains("quarantined", StringComparison.Ordinal));
        using var after = new HttpClient { BaseAddress = broker.HttpBase };
        Assert.Null(await after.AdminQueueAsync("halfway"));
        await using var client2 = await broker.ConnectAsync();
        await client2.DeclareAsync("halfway", partitions: 2);
        Assert.Equal(0UL, (await client2.PublishAsync("halfway", Payload, partition: 1)).Offset);
    }

    [Fact(Timeout = 30_000)]
    public async Task Names_are_decoded_and_checked_unknown_queues_are_not_found_and_the_broker_queue_cannot_be_deleted()
    {
        await using var broker = await TestBroker.StartAsync();
        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("odd%name", group: "team a".Replace(' ', '-'));

        var whitespace = await http.DeleteQueueAsync("has space");
        Assert.Equal((HttpStatusCode.BadRequest, "invalid", "topic", "whitespace"),
            (whitespace.Status, whitespace.Code, whitespace.Detail("field"), whitespace.Detail("reason")));
        var reserved = await http.PurgeQueueAsync("$mine");
        Assert.Equal((HttpStatusCode.BadRequest, "invalid", "reserved_prefix"), (reserved.Status, reserved.Code, reserved.Detail("reason")));
        var badGroup = await http.DeleteQueueAsync("odd%name", "?group=a%20b");
        Assert.Equal((HttpStatusCode.BadRequest, "group"), (badGroup.Status, badGroup.Detail("field")));
        var badForce = await http.DeleteQueueAsync("odd%name", "?group=team-a&force=yes");
        Assert.Equal((HttpStatusCode.BadRequest, "force"), (badForce.Status, badForce.Detail("field")));

        var unknown = await http.DeleteQueueAsync("nowhere");
        Assert.Equal((HttpStatusCode.NotFound, "not_found", "nowhere"), (unknown.Status, unknown.Code, unknown.Detail("topic")));
        var ungrouped = await http.PurgeQueueAsync("odd%name");
        Assert.Equal(HttpStatusCode.NotFound, ungrouped.Status);

        var owned = await http.DeleteQueueAsync("$dead-letters");
        Assert.Equal((HttpStatusCode.Conflict, "conflict", "broker_owned"), (owned.Status, owned.Code, owned.Detail("reason")));
        Assert.Equal(HttpStatusCode.OK, (await http.PurgeQueueAsync("$dead-letters")).Status);

        // The topic is decoded exactly once: '%' is an ordinary character of a name.
        var deleted = await http.DeleteQueueAsync("odd%name", "?group=team-a");
        Assert.Equal((HttpStatusCode.OK, "odd%name", "team-a"),
            (deleted.Status, deleted.Body.GetProperty("topic").GetString(), deleted.Body.GetProperty("group").GetString()));
    }

    [Fact(Timeout = 30_000)]
    public async Task With_auth_enabled_deleting_and_purging_ask_for_a_configured_user()
    {
        await using var broker = await TestBroker.StartAsync(o =>
        {
            o.Auth.Enabled = true;
            o.Auth.Users.Add("alice:s3cret");
        });
        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.DeleteQueueAsync("orders")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PurgeQueueAsync("orders")).Status);
        http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cret")));
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteQueueAsync("orders")).Status);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_deleted_dead_letter_target_is_declared_afresh_by_the_next_dead_letter_as_for_any_missing_target()
    {
        await using var broker = await TestBroker.StartAsync();
        using var http = new HttpClient { BaseAddress = broker.HttpBase };
        await using var client = await broker.ConnectAsync();
        await client.DeclareAsync("target");
        await client.PublishAsync("target", Payload);
        await client.DeclareAsync("source", deadLetter: new DeadLetterPolicy(DeadLetterKind.Queue, "target"));
        await client.PublishAsync("source", Payload);
        var catalogue = await client.CallAsync<Topology>(TopologyRequest.Instance);

        Assert.Equal(HttpStatusCode.OK, (await http.DeleteQueueAsync("target")).Status);
        var (withoutTarget, _) = await client.TopologyAtLeastAsync(catalogue.Generation + 1);
        Assert.DoesNotContain(withoutTarget.Channels, c => c.Topic == "target");

        await client.SubscribeAsync("source");
        Assert.Empty((await client.NackAsync((await client.NextDeliveryAsync()).DeliveryId, requeue: false)).Failures);

        // The dead-letter router declares a missing target, as it always has: a fresh queue holding only the new copy.
        while (true)
        {
            var pushed = await client.NextTopologyAsync();
            if (pushed.Channels.Any(c => c.Topic == "target"))
            {
                break;
            }
        }

        await using var reader = await broker.ConnectAsync();
        await reader.SubscribeAsync("target");
        var copy = await reader.NextDeliveryAsync();
        Assert.Equal(0UL, copy.Offset);
        Assert.Equal("source", copy.Headers!["sinew.dlq.source_topic"]);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_quarantined_queue_can_be_deleted_which_makes_the_broker_ready_again()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("broken");
            await client.PublishAsync("broken", Payload);
        }

        var queues = Path.Combine(broker.DataDir, "queues");
        var directory = Assert.Single(Directory.GetDirectories(queues), d => Path.GetFileName(d).StartsWith("broken", StringComparison.Ordinal));
        await broker.Host.StopAsync();
        await File.WriteAllTextAsync(Path.Combine(directory, "queue.json"), "{ not json");
        await broker.RestartAsync();
        using (var http = new HttpClient { BaseAddress = broker.HttpBase })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/readyz")).StatusCode);

            var answer = await http.DeleteQueueAsync("broken");

            Assert.Equal(HttpStatusCode.OK, answer.Status);
        }

        Assert.False(Directory.Exists(directory));
        await broker.AssertBecomesReadyAsync();
        await using var after = await broker.ConnectAsync();
        await after.DeclareAsync("broken");
        Assert.Equal(0UL, (await after.PublishAsync("broken", Payload)).Offset);
    }

    // The next SubscriptionClosed pushed, past the deliveries pushed before it.
    private static async Task<SubscriptionClosed> NextClosedAsync(RawClient client)
    {
        while (true)
        {
            if ((await client.NextPushAsync()).Message is SubscriptionClosed closed)
            {
                return closed;
            }
        }
    }
}
