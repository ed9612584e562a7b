// The control endpoint: a tiny HTTP/JSON API on loopback that lists the proxy's connections and applies
// faults, so a test in any language can drive the proxy with its standard HTTP client.
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sinew.FaultProxy;

internal static class ControlEndpoint
{
    private static readonly TimeSpan LongestWait = TimeSpan.FromMinutes(2);

    /// <summary>Starts serving on <paramref name="listen"/> (port 0 picks a free port); the returned app's
    /// <see cref="BoundEndPoint"/> says where.</summary>
    public static async Task<WebApplication> StartAsync(IPEndPoint listen, ProxyServer server)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // Standard output carries the ready line only; the control endpoint logs nothing.
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(listen));
        var app = builder.Build();
        Map(app, server);
        await app.StartAsync().ConfigureAwait(false);
        return app;
    }

    /// <summary>The address Kestrel bound, with the real port when port 0 was asked for.</summary>
    public static IPEndPoint BoundEndPoint(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        var uri = new Uri(address);
        return new IPEndPoint(IPAddress.Parse(uri.Host.Trim('[', ']')), uri.Port);
    }

    private static void Map(WebApplication app, ProxyServer server)
    {
        var commands = new FaultCommands(server);
        app.MapGet("/connections", (Delegate)((HttpContext context) => ListAsync(context, server)));
        MapFault(app, "/cut", commands.Cut);
        MapFault(app, "/half-close", commands.HalfClose);
        MapFault(app, "/stall", commands.Stall);
        MapFault(app, "/resume", commands.Resume);
        MapFault(app, "/delay", commands.Delay);
        MapFault(app, "/close-after", commands.CloseAfter);
        MapFault(app, "/blackhole", commands.Blackhole);
        MapFault(app, "/reset", _ => commands.Reset());
    }

    private static void MapFault(WebApplication app, string path, Func<FaultRequest, IReadOnlyList<long>> command) =>
        app.MapPost(path, (Delegate)(async (HttpContext context) =>
        {
            try
            {
                var request = await ReadRequestAsync(context.Request).ConfigureAwait(false);
                return Results.Json(new { connections = command(request) });
            }
            catch (Exception e) when (e is FaultRequestException or JsonException)
            {
                return Results.Json(new { error = e.Message }, statusCode: StatusCodes.Status400BadRequest);
            }
        }));

    private static async Task<FaultRequest> ReadRequestAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync().ConfigureAwait(false);
        return string.IsNullOrWhiteSpace(body)
            ? new FaultRequest()
            : JsonSerializer.Deserialize<FaultRequest>(body) ?? new FaultRequest();
    }

    // With accepted=N and/or open=M the answer waits (up to timeout_ms) until that many connections were
    // accepted in all and are open now, so tests wait for a reconnect without polling.
    private static async Task<IResult> ListAsync(HttpContext context, ProxyServer server)
    {
        var query = context.Request.Query;
        var accepted = long.TryParse(query["accepted"], out var a) ? a : 0;
        var open = int.TryParse(query["open"], out var o) ? o : 0;
        var timeout = int.TryParse(query["timeout_ms"], out var t) ? TimeSpan.FromMilliseconds(Math.Clamp(t, 0, (int)LongestWait.TotalMilliseconds)) : TimeSpan.Zero;
        var reached = await server.WaitForAsync(accepted, open, timeout, context.RequestAborted).ConfigureAwait(false);
        var body = new
        {
            accepted = server.Accepted,
            open = server.OpenConnections.Select(c => new
            {
                id = c.Id,
                client = c.ClientEndPoint?.ToString(),
                up = new { state = c.Up.State, bytes = c.Up.Forwarded, read = c.Up.Read },
                down = c.Down is { } down ? new { state = down.State, bytes = down.Forwarded, read = down.Read } : null,
                blackholed = c.IsBlackholed,
            }),
            new_connection_faults = server.NewConnections.Describe(),
        };
        return Results.Json(body, statusCode: reached ? StatusCodes.Status200OK : StatusCodes.Status408RequestTimeout);
    }
}
