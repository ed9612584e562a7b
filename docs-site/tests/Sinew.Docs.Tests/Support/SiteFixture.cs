// The built site served locally and one headless Chromium, shared by every browser test. Chromium is the
// system's (Debian's chromium package): Playwright's own browser downloads are not used.
using Microsoft.Playwright;

namespace Sinew.Docs.Tests.Support;

[CollectionDefinition(Name)]
public sealed class SiteTestGroup : ICollectionFixture<SiteFixture>
{
    public const string Name = "site";
}

public sealed class SiteFixture : IAsyncLifetime, IDisposable
{
    /// <summary>How long any one browser action may take before the test fails.</summary>
    public const float ActionTimeoutMs = 20_000;

    private const string Chromium = "/usr/bin/chromium";

    // Guards the shared crawl: concurrent callers would otherwise crawl twice.
    private readonly SemaphoreSlim _crawlLock = new(1, 1);
    private IPlaywright? _playwright;
    private SiteServer? _server;
    private CrawlResult? _crawl;

    public IBrowser Browser { get; private set; } = null!;

    public Uri Address => _server!.Address;

    public string Root => _server!.Root;

    public async Task InitializeAsync()
    {
        if (!File.Exists(Path.Combine(Repository.Dist, "index.html")))
        {
            throw new InvalidOperationException(Repository.SiteNotBuilt);
        }

        if (!File.Exists(Chromium))
        {
            throw new InvalidOperationException($"{Chromium} does not exist; install Chromium (Debian: apt-get install chromium)");
        }

        _server = await SiteServer.StartAsync(Repository.Dist);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Timeout = 60_000,
            // No sandbox (CI runs as root), and nothing that would reach out to the network.
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic",
            ],
        });
    }

    /// <summary>A fresh browser context and page, with every action bounded by <see cref="ActionTimeoutMs"/>.</summary>
    public async Task<(IBrowserContext Context, IPage Page)> NewPageAsync(int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            BaseURL = Address.ToString(),
        });
        context.SetDefaultTimeout(ActionTimeoutMs);
        context.SetDefaultNavigationTimeout(ActionTimeoutMs);
        var page = await context.NewPageAsync();
        return (context, page);
    }

    public Uri Url(string path) => new(Address, path.TrimStart('/'));

    /// <summary>Every page of the site visited once; computed on first use and shared by the tests that
    /// look at it.</summary>
    public async Task<CrawlResult> CrawlAsync()
    {
        await _crawlLock.WaitAsync();
        try
        {
            return _crawl ??= await new SiteCrawler(this).CrawlAsync();
        }
        finally
        {
            _crawlLock.Release();
        }
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

    }

    public void Dispose() => _crawlLock.Dispose();
}
