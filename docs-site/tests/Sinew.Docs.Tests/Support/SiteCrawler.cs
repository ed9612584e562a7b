// Visits every page of the built site in the browser, recording what went wrong on each (console errors,
// uncaught exceptions, failed requests), the internal links it has and the element ids it offers as
// link targets.
using System.Collections.Concurrent;
using Microsoft.Playwright;

namespace Sinew.Docs.Tests.Support;

/// <summary>One visited page.</summary>
/// <param name="Path">The page's clean URL path, e.g. /guide/quickstart or /operations/.</param>
/// <param name="Problems">Console errors, uncaught exceptions and failed requests while it loaded.</param>
/// <param name="Links">The internal links on the page, absolute, with their fragments.</param>
/// <param name="Ids">The ids of its elements: the fragments a link to it may use.</param>
public sealed record PageVisit(string Path, IReadOnlyList<string> Problems, IReadOnlyList<Uri> Links, IReadOnlySet<string> Ids);

/// <summary>Every built page, visited.</summary>
public sealed class CrawlResult(string root, IReadOnlyDictionary<string, PageVisit> visits)
{
    /// <summary>Visits by clean URL path; every HTML file of the build but the 404 pages.</summary>
    public IReadOnlyDictionary<string, PageVisit> Visits { get; } = visits;

    /// <summary>The page path a link leads to (after a directory redirect), or null when nothing is served there.</summary>
    public string? PageFor(Uri link)
    {
        var (file, redirect) = SiteServer.Resolve(root, link.AbsolutePath);
        if (redirect is not null)
        {
            return redirect;
        }

        return file is null ? null : file.EndsWith(".html", StringComparison.Ordinal) ? SiteCrawler.PagePath(root, file) : link.AbsolutePath;
    }
}

internal sealed class SiteCrawler(SiteFixture site)
{
    // Two pages load at a time: enough to keep the browser busy on a two-core machine.
    private const int Parallelism = 2;

    public async Task<CrawlResult> CrawlAsync()
    {
        var pending = new ConcurrentQueue<string>(Directory.EnumerateFiles(site.Root, "*.html", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "404.html")
            .Select(f => PagePath(site.Root, f))
            .Order(StringComparer.Ordinal));
        var visits = new ConcurrentDictionary<string, PageVisit>(StringComparer.Ordinal);
        await Task.WhenAll(Enumerable.Range(0, Parallelism).Select(_ => WorkAsync(pending, visits)));
        return new CrawlResult(site.Root, visits);
    }

    private async Task WorkAsync(ConcurrentQueue<string> pending, ConcurrentDictionary<string, PageVisit> visits)
    {
        var (context, page) = await site.NewPageAsync();
        var problems = new List<string>();
        void Record(string problem)
        {
            lock (problems)
            {
                problems.Add(problem);
            }
        }

        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                Record($"console error: {message.Text}");
            }
        };
        page.PageError += (_, error) => Record($"uncaught exception: {error}");
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                Record($"HTTP {response.Status} for {response.Url}");
            }
        };
        page.RequestFailed += (_, request) => Record($"request failed: {request.Url} ({request.Failure})");

        try
        {
            while (pending.TryDequeue(out var path))
            {
                lock (problems)
                {
                    problems.Clear();
                }

                await page.GotoAsync(site.Url(path).ToString(), new PageGotoOptions { WaitUntil = WaitUntilState.Load });
                // VitePress hydrates the server-rendered page; wait for that, so its errors are seen too.
                await page.WaitForFunctionAsync("() => document.querySelector('#app')?.__vue_app__ !== undefined");
                var hrefs = await page.EvalOnSelectorAllAsync<string[]>("a[href]", "links => links.map(a => a.href)");
                var ids = await page.EvalOnSelectorAllAsync<string[]>("[id], a[name]", "elements => elements.map(e => e.id || e.getAttribute('name'))");
                var links = hrefs
                    .Select(h => Uri.TryCreate(h, UriKind.Absolute, out var uri) ? uri : null)
                    .OfType<Uri>()
                    .Where(uri => uri.Scheme == "http" && uri.Authority == site.Address.Authority)
                    .Distinct()
                    .ToList();
                lock (problems)
                {
                    visits[path] = new PageVisit(path, [.. problems], links, ids.ToHashSet(StringComparer.Ordinal));
                }
            }
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    /// <summary>The clean URL path of a built HTML file: a/index.html is /a/, a/b.html is /a/b.</summary>
    public static string PagePath(string root, string file)
    {
        var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
        if (relative == "index.html")
        {
            return "/";
        }

        return relative.EndsWith("/index.html", StringComparison.Ordinal)
            ? "/" + relative[..^"index.html".Length]
            : "/" + relative[..^".html".Length];
    }
}
