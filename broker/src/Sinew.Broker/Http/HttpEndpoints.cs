// The broker's HTTP surface: health, readiness and metrics, open to probes and scrapers, and the admin
// endpoints behind the configured users. The host only calls Map.
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Prometheus;
using Sinew.Broker.Engine;
using Sinew.Broker.Queues;

namespace Sinew.Broker.Http;

internal static class HttpEndpoints
{
    /// <summary>Maps every endpoint onto <paramref name="app"/>.</summary>
    /// <param name="app">The web application whose HTTP listener serves them.</param>
    /// <param name="services">The engine's services: options, metrics, troubled partitions, disk space.</param>
    /// <param name="registry">The queues.</param>
    /// <param name="runtime">Settings an operator changes at run time.</param>
    /// <param name="connections">The open protocol connections.</param>
    /// <param name="serving">Whether the broker has started serving.</param>
    public static void Map(WebApplication app, BrokerServices services, QueueRegistry registry, RuntimeState runtime, IConnectionDirectory connections,
        Func<bool> serving)
    {
        IndexEndpoint.Map(app);
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () => Readiness.Report(services, registry, serving()));
        MapMetrics(app, services, registry);
        AdminEndpoints.Map(app, services.Options.Auth, registry, runtime, connections);
        QueueEndpoints.Map(app, services.Options.Auth, registry);
    }

    // The gauges that describe state rather than count events are set from the engine just before each scrape.
    private static void MapMetrics(WebApplication app, BrokerServices services, QueueRegistry registry)
    {
        var metrics = services.Metrics;
        metrics.Registry.AddBeforeCollectCallback(() =>
        {
            var census = registry.Census();
            metrics.ObserveVerification(census.Queues, census.QueuesVerified, census.QueuesQuarantined, census.Partitions, census.PartitionsVerified);
            foreach (var slot in registry.Slots.Where(s => s.IsLoaded))
            {
                slot.Queue.ObserveMetrics();
            }
        });
        app.MapGet("/metrics", async (HttpContext context) =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, ExpositionFormat.PrometheusText, context.RequestAborted)
                .ConfigureAwait(false);

            // Kestrel refuses synchronous writes, so the queues' families are composed first and written at once.
            using var queues = new StringWriter(CultureInfo.InvariantCulture);
            metrics.WriteQueueFamilies(queues);
            await context.Response.WriteAsync(queues.ToString(), context.RequestAborted).ConfigureAwait(false);
        });
    }
}
