// Serves the built site on 127.0.0.1 the way a static host configured for VitePress's clean URLs does:
// /guide/quickstart is guide/quickstart.html, /operations/ is operations/index.html, and a missing page
// gets the site's 404 page with status 404.
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sinew.Docs.Tests.Support;

internal sealed class SiteServer : IAsyncDisposable
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    private readonly WebApplication _app;

    private SiteServer(WebApplication app, Uri address, string root)
    {
        _app = app;
        Address = address;
        Root = root;
    }

    /// <summary>The site's address, ending with a slash.</summary>
    public Uri Address { get; }

    public string Root { get; }

    public static async Task<SiteServer> StartAsync(string root)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = root, Args = [] });
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(context => ServeAsync(context, root));
        await app.StartAsync();
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new SiteServer(app, new Uri(bound.TrimEnd('/') + "/"), root);
    }

    /// <summary>What a request path serves: a file, a redirect to the directory form, or nothing.</summary>
    public static (string? File, string? Redirect) Resolve(string root, string urlPath)
    {
        var path = Uri.UnescapeDataString(urlPath);
        if (!path.StartsWith('/') || path.Split('/').Any(segment => segment is ".." or "."))
        {
            return (null, null);
        }

        var full = Path.Combine(root, path.TrimStart('/'));
        if (path.EndsWith('/'))
        {
            var index = Path.Combine(full, "index.html");
            return (File.Exists(index) ? index : null, null);
        }

        if (File.Exists(full))
        {
            return (full, null);
        }

        if (File.Exists(full + ".html"))
        {
            return (full + ".html", null);
        }

        return Directory.Exists(full) && File.Exists(Path.Combine(full, "index.html")) ? (null, path + "/") : (null, null);
    }

    private static async Task ServeAsync(HttpContext context, string root)
    {
        var (file, redirect) = Resolve(root, context.Request.Path.Value ?? "/");
        if (redirect is not null)
        {
            context.Response.Redirect(redirect + context.Request.QueryString);
            return;
        }

        if (file is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            var segments = (context.Request.Path.Value ?? "/").Split('/', StringSplitOptions.RemoveEmptyEntries);
            var notFound = segments.Length > 1 && File.Exists(Path.Combine(root, segments[0], "404.html"))
                ? Path.Combine(root, segments[0], "404.html")
                : Path.Combine(root, "404.html");
            if (File.Exists(notFound))
            {
                context.Response.ContentType = "text/html; charset=utf-8";
                await context.Response.SendFileAsync(notFound);
            }

            return;
        }

        context.Response.ContentType = ContentTypes.TryGetContentType(file, out var type) ? type : "application/octet-stream";
        await context.Response.SendFileAsync(file);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
