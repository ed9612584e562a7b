// The generated pages say what the code says: every broker setting, every public type of each client,
// every conformance scenario, and the parity matrix of the latest run (or that there is none).
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Sinew.Docs.Tests.Support;

namespace Sinew.Docs.Tests;

[Collection(SiteTestGroup.Name)]
public sealed partial class GeneratedPagesTests
{
    private const int TimeoutMs = 120_000;
    private static readonly TimeSpan ProcessLimit = TimeSpan.FromMinutes(1);

    [Fact(Timeout = TimeoutMs)]
    public async Task The_configuration_page_lists_every_setting_the_broker_has()
    {
        // `config show` lists the settings from the broker's schema, independently of `config reference`.
        var shown = await ChildProcess.RunAsync("dotnet", [Repository.BrokerDll, "config", "show", "--effective"], ProcessLimit);
        Assert.True(shown.ExitCode == 0, shown.Describe("sinew-broker config show"));
        var settings = new List<string>();
        var section = "";
        foreach (var line in shown.Output.Split('\n'))
        {
            if (Regex.Match(line, @"^\[(\w+)\]$") is { Success: true } table)
            {
                section = table.Groups[1].Value;
            }
            else if (Regex.Match(line, @"^(\w+) = ") is { Success: true } key)
            {
                settings.Add($"SINEW_{section.ToUpperInvariant()}__{key.Groups[1].Value.ToUpperInvariant()}");
            }
        }

        Assert.True(settings.Count >= 10, $"config show listed only {settings.Count} settings:\n{shown.Output}");
        var page = HtmlText.Of(Path.Combine(Repository.Dist, "operations", "configuration.html"));
        Assert.All(settings, variable => Assert.Contains(variable, page, StringComparison.Ordinal));
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task The_toml_examples_on_the_configuration_page_are_valid_configuration()
    {
        var source = await File.ReadAllTextAsync(Path.Combine(Repository.Docs, "operations", "configuration.md"));
        var examples = TomlBlock().Matches(source).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(examples);
        foreach (var example in examples)
        {
            var file = Path.Combine(Path.GetTempPath(), $"sinew-docs-{Guid.NewGuid():N}.toml");
            await File.WriteAllTextAsync(file, example);
            try
            {
                var result = await ChildProcess.RunAsync("dotnet", [Repository.BrokerDll, "config", "validate", file], ProcessLimit);
                Assert.True(result.ExitCode == 0, result.Describe($"sinew-broker config validate for\n{example}"));
            }
            finally
            {
                File.Delete(file);
            }
        }
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task The_csharp_reference_has_a_page_with_the_summary_of_every_public_type()
    {
        var assembly = typeof(Sinew.Client.SinewClient).Assembly;
        XDocument xml;
        await using (var stream = File.OpenRead(Path.ChangeExtension(assembly.Location, ".xml")))
        {
            xml = await XDocument.LoadAsync(stream, LoadOptions.None, CancellationToken.None);
        }

        var summaries = xml.Descendants("member").ToDictionary(m => (string)m.Attribute("name")!, m => m.Element("summary"));
        var index = await File.ReadAllTextAsync(Path.Combine(Repository.Dist, "api", "csharp", "index.html"));
        var types = assembly.GetExportedTypes().Where(t => !t.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute))).ToList();
        Assert.NotEmpty(types);
        foreach (var type in types)
        {
            var name = type.Name.Split('`')[0];
            var link = Regex.Match(index, $"<a href=\"(?:\\./|/api/csharp/)([^\"/]+)\">{Regex.Escape(name)}(?:&lt;[^<]*)?</a>");
            Assert.True(link.Success, $"the C# reference's index does not link to {type.FullName}");
            var page = Path.Combine(Repository.Dist, "api", "csharp", link.Groups[1].Value + ".html");
            Assert.True(File.Exists(page), $"{type.FullName}: {page} does not exist");

            // The first words of the summary, up to its first markup, must be on the page.
            var summary = summaries.GetValueOrDefault("T:" + type.FullName!.Replace('+', '.'));
            var firstText = summary?.Nodes().OfType<XText>().FirstOrDefault()?.Value;
            var words = Regex.Replace(firstText ?? "", @"\s+", " ").Trim();
            if (words.Length >= 12)
            {
                Assert.Contains(words, HtmlText.Of(page), StringComparison.Ordinal);
            }
        }
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task The_typescript_reference_has_a_page_for_every_runtime_export()
    {
        var module = new Uri(Path.Combine(Repository.Root, "sdk-typescript", "dist", "index.js")).AbsoluteUri;
        var listed = await ChildProcess.RunAsync("node",
            ["--input-type=module", "-e", $"const m = await import({JsonSerializer.Serialize(module)}); console.log(JSON.stringify(Object.keys(m)));"],
            ProcessLimit);
        Assert.True(listed.ExitCode == 0, listed.Describe("listing @sinew/client's exports"));
        var exports = JsonSerializer.Deserialize<string[]>(listed.Output)!;
        Assert.Contains("SinewClient", exports);
        var reference = Path.Combine(Repository.Dist, "api", "typescript");
        var missing = exports.Where(name => !Directory.EnumerateFiles(reference, name + ".html", SearchOption.AllDirectories).Any()).ToList();
        Assert.True(missing.Count == 0, $"exports of @sinew/client without a page in the TypeScript reference: {string.Join(", ", missing)}");
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task The_python_reference_has_a_page_for_every_public_class_and_function()
    {
        const string script = """
            import inspect, json, sinew, sinew.blocking
            out = {}
            for module in (sinew, sinew.blocking):
                out[module.__name__] = [
                    [name, module is not sinew and getattr(sinew, name, None) is getattr(module, name)]
                    for name in module.__all__
                    if inspect.isclass(getattr(module, name)) or inspect.isfunction(getattr(module, name))
                ]
            print(json.dumps(out))
            """;
        var listed = await ChildProcess.RunAsync(Repository.VenvPython, ["-c", script], ProcessLimit);
        Assert.True(listed.ExitCode == 0, listed.Describe("listing the sinew package's public names"));
        var modules = JsonSerializer.Deserialize<Dictionary<string, JsonElement[][]>>(listed.Output)!;
        var reference = Path.Combine(Repository.Dist, "api", "python");
        var missing = new List<string>();
        foreach (var (module, names) in modules)
        {
            var modulePage = HtmlText.Of(Path.Combine(reference, module.Replace('.', '-') + ".html"));
            foreach (var entry in names)
            {
                var name = entry[0].GetString()!;
                var shared = entry[1].GetBoolean();
                // Objects sinew.blocking re-exports from sinew are documented once, under sinew, and named on the module page.
                var found = shared
                    ? modulePage.Contains(name, StringComparison.Ordinal)
                    : File.Exists(Path.Combine(reference, $"{module.Replace('.', '-')}-{name}.html"));
                if (!found)
                {
                    missing.Add($"{module}.{name}");
                }
            }
        }

        Assert.True(missing.Count == 0, $"public names without documentation in the Python reference: {string.Join(", ", missing)}");
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task The_scenario_list_names_every_scenario_of_the_conformance_suite()
    {
        var page = HtmlText.Of(Path.Combine(Repository.Dist, "conformance", "scenarios.html"));
        var ids = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Repository.Root, "conformance", "scenarios"), "*.json"))
        {
            using var scenarios = JsonDocument.Parse(await File.ReadAllTextAsync(file));
            ids.AddRange(scenarios.RootElement.GetProperty("scenarios").EnumerateArray().Select(s => s.GetProperty("id").GetString()!));
        }

        Assert.NotEmpty(ids);
        Assert.All(ids, id => Assert.Contains(id, page, StringComparison.Ordinal));
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task The_parity_page_shows_the_latest_conformance_report_or_says_there_is_none()
    {
        var page = HtmlText.Of(Path.Combine(Repository.Dist, "conformance", "parity.html"));
        using var report = await ConformanceReports.NewestAsync(Path.Combine(Repository.Artifacts, "conformance"));
        if (report is null)
        {
            Assert.Contains("No conformance run has been recorded", page, StringComparison.Ordinal);
            Assert.DoesNotContain("Parity gate", page, StringComparison.Ordinal);
            // No outcome of any scenario is shown.
            Assert.DoesNotContain("class=\"outcome", await File.ReadAllTextAsync(Path.Combine(Repository.Dist, "conformance", "parity.html")), StringComparison.Ordinal);
            return;
        }

        var root = report.RootElement;
        Assert.Contains(root.GetProperty("started_at").GetString()!, page, StringComparison.Ordinal);
        Assert.Contains(root.GetProperty("gate_problems").GetArrayLength() == 0 ? "Parity gate passed" : "Parity gate failed", page, StringComparison.Ordinal);
        foreach (var result in root.GetProperty("results").EnumerateArray())
        {
            Assert.Contains(result.GetProperty("id").GetString()!, page, StringComparison.Ordinal);
        }
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task The_parity_matrix_shows_exactly_the_outcomes_of_a_report_and_nothing_without_one()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"sinew-docs-parity-{Guid.NewGuid():N}");
        var reports = Path.Combine(directory, "reports");
        var output = Path.Combine(directory, "out");
        Directory.CreateDirectory(reports);
        try
        {
            var script = Path.Combine(Repository.Site, "scripts", "conformance-pages.mjs");
            string[] arguments = [script, "--scenarios", Path.Combine(Repository.Root, "conformance", "scenarios"), "--reports", reports, "--out", output];

            var empty = await ChildProcess.RunAsync("node", arguments, ProcessLimit);
            Assert.True(empty.ExitCode == 0, empty.Describe("conformance-pages.mjs without a report"));
            var none = await File.ReadAllTextAsync(Path.Combine(output, "conformance-parity.md"));
            Assert.Contains("No conformance run has been recorded", none, StringComparison.Ordinal);
            Assert.DoesNotContain("| ", none, StringComparison.Ordinal);

            // A report with one outcome of each kind, for two clients.
            var report = new
            {
                started_at = "2030-01-02T03:04:05+00:00",
                broker = "a broker under test",
                clients = new[] { new { name = "csharp", version = "9.9.9", driver = "dotnet driver" }, new { name = "python", version = "9.9.9", driver = "python -m driver" } },
                results = new[]
                {
                    new { id = "publish/a", title = "A", area = "Publishing", spec = "8.3", client = "csharp", outcome = "passed", message = (string?)null, duration_ms = 1 },
                    new { id = "publish/a", title = "A", area = "Publishing", spec = "8.3", client = "python", outcome = "failed", message = (string?)"expected 1, got 2", duration_ms = 1 },
                    new { id = "publish/b", title = "B", area = "Publishing", spec = "8.3", client = "csharp", outcome = "missing", message = (string?)"no step publish_many", duration_ms = 1 },
                    new { id = "publish/b", title = "B", area = "Publishing", spec = "8.3", client = "python", outcome = "not_applicable", message = (string?)"needs a local broker", duration_ms = 1 },
                },
                gate_problems = new[] { "publish/a failed for python" },
                gate_passed = false,
            };
            await File.WriteAllTextAsync(Path.Combine(reports, "conformance.json"), JsonSerializer.Serialize(report));
            var rendered = await ChildProcess.RunAsync("node", arguments, ProcessLimit);
            Assert.True(rendered.ExitCode == 0, rendered.Describe("conformance-pages.mjs with a report"));
            var matrix = await File.ReadAllTextAsync(Path.Combine(output, "conformance-parity.md"));
            Assert.Contains("Parity gate failed", matrix, StringComparison.Ordinal);
            Assert.Contains("2030-01-02T03:04:05+00:00", matrix, StringComparison.Ordinal);
            Assert.Matches(@"\| `publish/a`<br>A \| \[8\.3\]\([^)]+\) \| <span class=""outcome outcome-passed"">pass</span> \| <span class=""outcome outcome-failed"">fail</span> \|", matrix);
            Assert.Matches(@"\| `publish/b`<br>B \| \[8\.3\]\([^)]+\) \| <span class=""outcome outcome-missing"">missing</span> \| <span class=""outcome outcome-not-applicable"">n/a</span> \|", matrix);
            Assert.Contains("expected 1, got 2", matrix, StringComparison.Ordinal);
            Assert.Equal(4, Regex.Count(matrix, "class=\"outcome "));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [GeneratedRegex("```toml\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex TomlBlock();
}

/// <summary>The readable text of a built page: tags, scripts and styles removed, entities decoded.</summary>
internal static partial class HtmlText
{
    public static string Of(string file)
    {
        if (!File.Exists(file))
        {
            throw new InvalidOperationException($"{file} does not exist. {Repository.SiteNotBuilt}");
        }

        var html = File.ReadAllText(file);
        html = ScriptsAndStyles().Replace(html, " ");
        var text = System.Net.WebUtility.HtmlDecode(Tags().Replace(html, " "));
        return Whitespace().Replace(text, " ");
    }

    [GeneratedRegex("<(script|style)\\b.*?</\\1>", RegexOptions.Singleline)]
    private static partial Regex ScriptsAndStyles();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}

/// <summary>Finds the newest conformance report the way the docs build does: the newest JSON file with a
/// run's shape.</summary>
internal static class ConformanceReports
{
    public static async Task<JsonDocument?> NewestAsync(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return null;
        }

        foreach (var file in Directory.EnumerateFiles(directory, "*.json").OrderByDescending(File.GetLastWriteTimeUtc))
        {
            var document = JsonDocument.Parse(await File.ReadAllTextAsync(file));
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("results", out var results) && results.ValueKind == JsonValueKind.Array
                && root.TryGetProperty("clients", out _) && root.TryGetProperty("started_at", out _))
            {
                return document;
            }

            document.Dispose();
        }

        return null;
    }
}
