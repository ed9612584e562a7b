// The admin endpoints under /admin: the queues with their settings and partition state, the open connections with
// the catalogue generation each was sent and acknowledged, and the global dead-letter target (the broker's own
// $dead-letters queue unless an operator set another). With auth.enabled they need the credentials of a configured user.
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sinew.Broker.Configuration;
using Sinew.Broker.Engine;
using Sinew.Broker.Queues;

namespace Sinew.Broker.Http;

internal static class AdminEndpoints
{
    public static void Map(IEndpointRouteBuilder app, AuthOptions auth, QueueRegistry registry, RuntimeState runtime, IConnectionDirectory connections)
    {
        var admin = app.MapGroup("/admin").RequireConfiguredUser(auth);
        admin.MapGet("/queues", () => Results.Json(registry.Slots
            .OrderBy(s => s.Name.Topic, StringComparer.Ordinal)
            .Select(s => new
            {
                topic = s.Name.Topic,
                group = s.Name.Group,
                partitions = s.Settings.Partitions,
                dead_letter = s.Settings.DeadLetter.Kind.ToString().ToLowerInvariant(),
                max_retries = s.Settings.MaxRetries,
                default_ttl_ms = s.Settings.DefaultTtlMs,
                lease_ms = s.Settings.LeaseMs,
                routing_version = s.RoutingVersion,
                broker_owned = s.Name.IsBrokerOwned,
                loaded = s.IsLoaded,
                dead_lettering = s.IsLoaded ? s.Queue.Stats.Sum(p => p.DeadLettering) : (int?)null,
                partition_stats = s.IsLoaded ? s.Queue.Stats.Select(p => new
                {
                    index = p.Index,
                    unsettled = p.Unsettled,
                    indexed = p.Indexed,
                    ready = p.Ready,
                    delayed = p.Delayed,
                    inflight = p.Inflight,
                    next_offset = p.NextOffset,
                    consumers = p.Consumers,
                    dead_lettering = p.DeadLettering,
                    quarantine = p.Quarantine,
                }) : null,
            })));

        admin.MapGet("/connections", () => Results.Json(new
        {
            topology_generation = registry.Catalogue.Generation,
            connections = connections.Connections().Select(c => new
            {
                id = c.Id,
                session_id = c.SessionId,
                remote = c.Remote,
                client_name = c.ClientName,
                client_version = c.ClientVersion,
                connected_at_ms = c.ConnectedAtMs,
                subscriptions = c.Subscriptions,
                unsettled_deliveries = c.UnsettledDeliveries,
                topology_sent_generation = c.TopologySentGeneration,
                topology_acked_generation = c.TopologyAckedGeneration,
                state = c.State == ConnectionState.Dormant ? "dormant" : "active",
                dormant_until_ms = c.DormantUntilMs,
            }),
        }));

        admin.MapGet("/dead-letter-target", () => TargetJson(runtime));
        admin.MapPut("/dead-letter-target", (HttpRequest request) => SetDeadLetterTargetAsync(request, runtime));
        admin.MapDelete("/dead-letter-target", () =>
        {
            runtime.SetGlobalDeadLetterTarget(null);
            return Results.NoContent();
        });
    }

    // The effective target; "default" says it is the broker's own queue because no other is set.
    private static IResult TargetJson(RuntimeState runtime)
    {
        var target = runtime.GlobalDeadLetterTarget ?? QueueName.DeadLetters;
        return Results.Json(new { topic = target.Topic, group = target.Group, @default = runtime.GlobalDeadLetterTarget is null });
    }

    private static async Task<IResult> SetDeadLetterTargetAsync(HttpRequest request, RuntimeState runtime)
    {
        JsonElement body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<JsonElement>(request.Body).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            return Results.BadRequest(new { error = $"the body is not JSON: {e.Message}" });
        }

        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("topic", out var topic) || topic.ValueKind != JsonValueKind.String)
        {
            return Results.BadRequest(new { error = "expected {\"topic\": \"…\", \"group\": \"…\" (optional)}" });
        }

        try
        {
            var group = body.TryGetProperty("group", out var g) && g.ValueKind == JsonValueKind.String ? g.GetString() : null;
            var name = QueueName.Parse(topic.GetString()!, group, brokerOwned: true);
            // Naming the broker's own queue is the same as clearing the setting: the default again.
            runtime.SetGlobalDeadLetterTarget(name.IsBrokerOwned ? null : name);
            return TargetJson(runtime);
        }
        catch (BrokerErrorException e)
        {
            return Results.BadRequest(new { error = e.Message });
        }
    }
}
