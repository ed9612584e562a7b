// GET / on the HTTP port: what this port serves and which broker answers, so that someone who points a
// browser or curl at the broker learns where to go instead of getting an empty 404.
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sinew.Broker.Http;

internal static class IndexEndpoint
{
    /// <summary>Every path the HTTP port serves, with what it is for. Kept next to the mapping in
    /// <see cref="HttpEndpoints"/>; a test checks that each listed path answers.</summary>
    public static readonly IReadOnlyList<(string Method, string Path, string Description)> Paths =
    [
        ("GET", "/healthz", "liveness: 200 while the process serves HTTP"),
        ("GET", "/readyz", "readiness: 200 when every partition is verified and the broker serves; otherwise 503 and why"),
        ("GET", "/metrics", "Prometheus metrics"),
        ("GET", "/admin/queues", "the queues, their settings and partition state (needs a configured user when auth is enabled)"),
        ("GET", "/admin/connections", "the open connections, each with the topology generation it was sent and acknowledged (needs a configured user when auth is enabled)"),
        ("GET", "/admin/dead-letter-target", "the global dead-letter target (needs a configured user when auth is enabled)"),
        ("PUT", "/admin/dead-letter-target", "sets the global dead-letter target: {\"topic\": …, \"group\": …}"),
        ("DELETE", "/admin/dead-letter-target", "clears the global dead-letter target"),
        ("POST", "/api/v1/queues/{topic}/purge", "removes every ready and delayed message of a queue (?group=…) and answers how many"),
        ("DELETE", "/api/v1/queues/{topic}", "deletes a queue (?group=…; ?force=true even while consumers hold its messages); its subscriptions are closed"),
    ];

    private static readonly string Version = typeof(IndexEndpoint).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static void Map(WebApplication app) =>
        app.MapGet("/", () => Results.Json(new
        {
            name = "sinew-broker",
            version = Version,
            endpoints = Paths.Select(p => new { method = p.Method, path = p.Path, description = p.Description }),
        }));
}
