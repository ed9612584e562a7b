// The queue operations under /api/v1, behind the admin users: deleting a queue and purging its waiting messages.
// Errors answer with the protocol's error code names, {"code", "message", "details"}, so a tool handles them the way
// a client handles an Error frame.
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Sinew.Broker.Configuration;
using Sinew.Broker.Queues;
using Sinew.Protocol.Errors;

namespace Sinew.Broker.Http;

internal static class QueueEndpoints
{
    // The topic's position among the request path's segments: "", "api", "v1", "queues", topic.
    private const int TopicSegment = 4;

    public static void Map(IEndpointRouteBuilder app, AuthOptions auth, QueueRegistry registry)
    {
        var queues = app.MapGroup("/api/v1/queues").RequireConfiguredUser(auth);
        queues.MapDelete("/{topic}", (HttpRequest request) => Answer(() =>
        {
            var name = NameOf(request.HttpContext);
            var force = request.Query["force"].ToString() switch
            {
                "" or "false" => false,
                "true" => true,
                var other => throw BrokerErrorException.Invalid("force", $"force is true or false, not '{other}'"),
            };
            var deleted = registry.Delete(name, force);
            return Task.FromResult(Results.Json(new
            {
                topic = deleted.Name.Topic,
                group = deleted.Name.Group,
                deleted = true,
                subscriptions_closed = deleted.Subscriptions,
                held_deliveries_dropped = deleted.Held,
            }));
        }));
        queues.MapPost("/{topic}/purge", (HttpRequest request) => Answer(async () =>
        {
            var queue = registry.Get(NameOf(request.HttpContext));
            var removed = await queue.PurgeAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
            return Results.Json(new { topic = queue.Name.Topic, group = queue.Name.Group, purged = removed });
        }));
    }

    // The topic from the request as sent, decoded once: names may hold any character, '/' and '%' included, and the
    // routed value leaves an encoded '/' encoded.
    private static QueueName NameOf(HttpContext context)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
        var query = target.IndexOf('?', StringComparison.Ordinal);
        var segments = (query < 0 ? target : target[..query]).Split('/');
        var topic = segments.Length > TopicSegment ? Uri.UnescapeDataString(segments[TopicSegment]) : "";
        var group = context.Request.Query["group"].ToString();
        return QueueName.Parse(topic, group.Length == 0 ? null : group, brokerOwned: true);
    }

    private static async Task<IResult> Answer(Func<Task<IResult>> operation)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (BrokerErrorException e)
        {
            return Results.Json(new { code = ErrorCodes.NameOf((ushort)e.Code), message = e.Message, details = e.Details ?? new Dictionary<string, string>() },
                statusCode: StatusOf(e.Code));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The disk refused a step. A delete stopped after renaming the directory is finished at the next start.
            return Results.Json(new { code = ErrorCodes.NameOf((ushort)ErrorCode.Internal), message = e.Message, details = new Dictionary<string, string>() },
                statusCode: StatusCodes.Status500InternalServerError);
        }
    }

    private static int StatusOf(ErrorCode code) => code switch
    {
        ErrorCode.Invalid => StatusCodes.Status400BadRequest,
        ErrorCode.NotFound => StatusCodes.Status404NotFound,
        ErrorCode.Conflict or ErrorCode.Quarantined => StatusCodes.Status409Conflict,
        ErrorCode.Unavailable or ErrorCode.ResourceExhausted => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };
}
