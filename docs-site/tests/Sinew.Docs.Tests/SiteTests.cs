// The built site in a real browser: every page loads cleanly, every link leads somewhere, and the
// interactive parts (language tabs, version picker, search) work.
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Sinew.Docs.Tests.Support;

namespace Sinew.Docs.Tests;

[Collection(SiteTestGroup.Name)]
public sealed class SiteTests(SiteFixture site)
{
    private const int CrawlTimeoutMs = 600_000;
    private const int TestTimeoutMs = 120_000;

    [Fact(Timeout = CrawlTimeoutMs)]
    public async Task Every_page_loads_without_console_errors_or_failed_requests()
    {
        var crawl = await site.CrawlAsync();

        // The crawl covers the whole build: the current docs, each generated reference and each frozen version.
        var expected = new[] { "/", "/guide/quickstart", "/guide/concepts", "/operations/configuration", "/api/csharp/SinewClient",
            "/api/typescript/classes/SinewClient", "/api/python/sinew-SinewClient", "/conformance/parity" }
            .Concat(FrozenVersions().Select(v => $"/{v}/"));
        Assert.All(expected, path => Assert.True(crawl.Visits.ContainsKey(path), $"the build has no page {path}"));

        var failures = crawl.Visits.Values
            .Where(v => v.Problems.Count > 0)
            .OrderBy(v => v.Path, StringComparer.Ordinal)
            .Select(v => $"{v.Path}:\n    {string.Join("\n    ", v.Problems)}")
            .ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} of {crawl.Visits.Count} pages had problems:\n{string.Join('\n', failures)}");
    }

    [Fact(Timeout = CrawlTimeoutMs)]
    public async Task Every_internal_link_leads_to_an_existing_page_and_anchor()
    {
        var crawl = await site.CrawlAsync();
        var broken = new List<string>();
        var checkedLinks = 0;
        foreach (var visit in crawl.Visits.Values.OrderBy(v => v.Path, StringComparer.Ordinal))
        {
            foreach (var link in visit.Links)
            {
                checkedLinks++;
                var target = crawl.PageFor(link);
                if (target is null)
                {
                    broken.Add($"{visit.Path} links to {link.PathAndQuery}{link.Fragment}, which does not exist");
                    continue;
                }

                var fragment = Uri.UnescapeDataString(link.Fragment.TrimStart('#'));
                if (fragment.Length > 0 && crawl.Visits.TryGetValue(target, out var page) && !page.Ids.Contains(fragment))
                {
                    broken.Add($"{visit.Path} links to {link.PathAndQuery}#{fragment}, but {target} has no element with that id");
                }
            }
        }

        Assert.True(checkedLinks > crawl.Visits.Count, $"only {checkedLinks} internal links on {crawl.Visits.Count} pages: the crawl saw no navigation");
        Assert.True(broken.Count == 0, $"{broken.Count} broken links:\n{string.Join('\n', broken.Distinct())}");
    }

    [Fact(Timeout = CrawlTimeoutMs)]
    public async Task Every_page_can_be_reached_by_following_links_from_the_home_page()
    {
        var crawl = await site.CrawlAsync();
        var reached = new HashSet<string>(StringComparer.Ordinal) { "/" };
        var queue = new Queue<string>(["/"]);
        while (queue.TryDequeue(out var path))
        {
            foreach (var link in crawl.Visits.TryGetValue(path, out var visit) ? visit.Links : [])
            {
                if (crawl.PageFor(link) is { } target && crawl.Visits.ContainsKey(target) && reached.Add(target))
                {
                    queue.Enqueue(target);
                }
            }
        }

        var orphans = crawl.Visits.Keys.Where(p => !reached.Contains(p)).Order(StringComparer.Ordinal).ToList();
        Assert.True(orphans.Count == 0, $"{orphans.Count} pages are linked from nowhere:\n{string.Join('\n', orphans)}");
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task The_quickstart_tabs_switch_between_the_three_languages_and_show_the_tested_files()
    {
        var (context, page) = await site.NewPageAsync();
        try
        {
            await OpenAsync(page, "/guide/quickstart");
            var group = page.Locator(".vp-code-group").First;
            var languages = new[] { ("TypeScript", "quickstart.ts"), ("Python", "quickstart.py"), ("C#", "quickstart.cs") };
            foreach (var (label, file) in languages)
            {
                await group.Locator($".tabs label[data-title=\"{label}\"]").ClickAsync();
                var active = group.Locator(".blocks > div.active");
                await Assertions.Expect(active).ToHaveCountAsync(1);
                await Assertions.Expect(active).ToBeVisibleAsync();
                var shown = await active.Locator("pre code").InnerTextAsync();
                var source = await File.ReadAllTextAsync(Path.Combine(Repository.Docs, "snippets", "quickstart", file));
                Assert.Equal(Normalise(source), Normalise(shown));

                // The other languages' blocks are hidden while this one shows.
                var hidden = group.Locator(".blocks > div:not(.active)");
                await Assertions.Expect(hidden).ToHaveCountAsync(languages.Length - 1);
                foreach (var other in await hidden.AllAsync())
                {
                    await Assertions.Expect(other).ToBeHiddenAsync();
                }
            }
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task The_version_picker_goes_to_a_frozen_version_and_back_to_main()
    {
        var version = FrozenVersions().FirstOrDefault()
            ?? throw new InvalidOperationException("versions.json lists no frozen version; freeze one with `node docs-site/scripts/freeze-version.mjs <version>`");
        var (context, page) = await site.NewPageAsync();
        try
        {
            await OpenAsync(page, "/guide/concepts");
            var picker = page.Locator(".VPNavBar .version-picker");
            await Assertions.Expect(picker.Locator(".version-label")).ToHaveTextAsync("main");
            await Assertions.Expect(page.Locator(".version-banner")).ToHaveCountAsync(0);

            await picker.Locator(".version-button").ClickAsync();
            await picker.Locator(".version-menu a", new LocatorLocatorOptions { HasTextString = version }).ClickAsync();
            await page.WaitForURLAsync(site.Url($"/{version}/").ToString());
            await WaitForHydrationAsync(page);
            await Assertions.Expect(picker.Locator(".version-label")).ToHaveTextAsync(version);
            await Assertions.Expect(page.Locator(".version-banner")).ToContainTextAsync($"Sinew {version}");

            // The frozen version is a site of its own under /<version>/: its navigation stays inside it.
            await page.Locator(".VPNavBar .VPNavBarMenuLink", new PageLocatorOptions { HasTextString = "Operations" }).ClickAsync();
            await page.WaitForURLAsync(site.Url($"/{version}/operations/").ToString());
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(new Regex("Running the broker"));

            await picker.Locator(".version-button").ClickAsync();
            await picker.Locator(".version-menu a", new LocatorLocatorOptions { HasTextString = "main" }).ClickAsync();
            await page.WaitForURLAsync(site.Url("/").ToString());
            await WaitForHydrationAsync(page);
            await Assertions.Expect(picker.Locator(".version-label")).ToHaveTextAsync("main");
            await Assertions.Expect(page.Locator(".version-banner")).ToHaveCountAsync(0);
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Local_search_finds_dead_lettering()
    {
        var (context, page) = await site.NewPageAsync();
        try
        {
            await OpenAsync(page, "/");
            await page.Locator("#local-search button").ClickAsync();
            var box = page.Locator(".VPLocalSearchBox");
            await box.Locator("input.search-input").FillAsync("dead letter");
            var results = box.Locator(".results a.result");
            await Assertions.Expect(results.First).ToBeVisibleAsync();
            var hrefs = await results.EvaluateAllAsync<string[]>("links => links.map(a => a.getAttribute('href'))");
            var concepts = hrefs.FirstOrDefault(h => h.EndsWith("/guide/concepts#dead-lettering", StringComparison.Ordinal));
            Assert.True(concepts is not null, $"no result leads to the Dead-lettering section of Concepts; results: {string.Join(", ", hrefs)}");

            await box.Locator($"a.result[href=\"{concepts}\"]").ClickAsync();
            await page.WaitForURLAsync(new Regex("/guide/concepts#dead-lettering$"));
            await Assertions.Expect(page.Locator("h2#dead-lettering")).ToBeVisibleAsync();
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Screenshots_of_the_home_page_and_the_quickstart_are_saved()
    {
        var directory = Path.Combine(Repository.Artifacts, "docs-screenshots");
        Directory.CreateDirectory(directory);
        var (context, page) = await site.NewPageAsync();
        try
        {
            foreach (var (path, name) in new[] { ("/", "home.png"), ("/guide/quickstart", "quickstart.png") })
            {
                var file = Path.Combine(directory, name);
                File.Delete(file);
                await OpenAsync(page, path);
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
                var bytes = await File.ReadAllBytesAsync(file);
                Assert.True(bytes.Length > 10_000, $"{file} is only {bytes.Length} bytes");
                Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
            }
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task The_conformance_runners_html_report_shows_every_outcome_of_its_run_in_a_browser()
    {
        // The runner writes conformance.json and conformance.html side by side; the page must show
        // exactly what the JSON says, scenario by client, when opened straight from disk.
        var directory = Path.Combine(Repository.Artifacts, "conformance");
        var html = Path.Combine(directory, "conformance.html");
        var json = Path.Combine(directory, "conformance.json");
        if (!File.Exists(json))
        {
            Assert.False(File.Exists(html), $"{html} exists without the JSON report of the same run");
            return;
        }

        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var (context, page) = await site.NewPageAsync();
        try
        {
            var errors = new List<string>();
            page.Console += (_, message) =>
            {
                if (message.Type == "error")
                {
                    errors.Add(message.Text);
                }
            };
            await page.GotoAsync(new Uri(html).AbsoluteUri);
            Assert.True(await page.Locator("#matrix").IsVisibleAsync(), "the report shows no matrix");
            var shownJson = await page.EvaluateAsync<string>("""
                () => {
                  const heads = [...document.querySelectorAll('#matrix thead th')].map(th => th.childNodes[0].textContent.trim());
                  const cells = {};
                  for (const row of document.querySelectorAll('#matrix tbody tr')) {
                    const id = row.querySelector('td code');
                    if (!id) continue;
                    [...row.children].forEach((cell, i) => { if (i >= 2) cells[id.textContent + ' ' + heads[i]] = cell.className; });
                  }
                  return JSON.stringify({ verdict: document.querySelector('.verdict')?.textContent ?? '', cells });
                }
                """);

            using var shownDocument = JsonDocument.Parse(shownJson);
            var shown = shownDocument.RootElement;
            var root = report.RootElement;
            var cells = shown.GetProperty("cells");
            var results = root.GetProperty("results").EnumerateArray().ToList();
            Assert.NotEmpty(results);
            foreach (var result in results)
            {
                var key = $"{result.GetProperty("id").GetString()} {result.GetProperty("client").GetString()}";
                Assert.True(cells.TryGetProperty(key, out var cell), $"the report has no cell for {key}");
                Assert.Equal(result.GetProperty("outcome").GetString(), cell.GetString());
            }

            // No outcome is shown that the run did not have.
            var expectedKeys = results.Select(r => $"{r.GetProperty("id").GetString()} {r.GetProperty("client").GetString()}").ToHashSet(StringComparer.Ordinal);
            var extra = cells.EnumerateObject().Where(c => c.Value.GetString() is { Length: > 0 } && !expectedKeys.Contains(c.Name)).Select(c => $"{c.Name}={c.Value}").ToList();
            Assert.True(extra.Count == 0, $"the report shows outcomes the run did not have: {string.Join(", ", extra)}");
            Assert.StartsWith(root.GetProperty("gate_passed").GetBoolean() ? "Parity gate passed" : "Parity gate failed",
                shown.GetProperty("verdict").GetString(), StringComparison.Ordinal);
            Assert.Empty(errors);

            var screenshots = Path.Combine(Repository.Artifacts, "docs-screenshots");
            Directory.CreateDirectory(screenshots);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(screenshots, "conformance-report.png"), FullPage = true });
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    private async Task OpenAsync(IPage page, string path)
    {
        var response = await page.GotoAsync(site.Url(path).ToString());
        Assert.True(response?.Ok == true, $"{path} answered {response?.Status}");
        await WaitForHydrationAsync(page);
    }

    private static async Task WaitForHydrationAsync(IPage page) =>
        await page.WaitForFunctionAsync("() => document.querySelector('#app')?.__vue_app__ !== undefined");

    /// <summary>The frozen versions the site lists, newest first.</summary>
    private static List<string> FrozenVersions()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Site, "versions.json")));
        return [.. document.RootElement.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("version").GetString()!)];
    }

    private static string Normalise(string code) =>
        string.Join('\n', code.Replace("\r", "", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd())).Trim();
}
