// Every code sample on the site runs against a real broker, and no page can show one that does not.
using System.Text.RegularExpressions;
using Sinew.Docs.Tests.Support;

namespace Sinew.Docs.Tests;

[Collection(BrokerTestGroup.Name)]
public sealed partial class SnippetTests(BrokerFixture broker)
{
    public static TheoryData<string> SnippetFiles => new(Snippets.All.Keys.Order(StringComparer.Ordinal));

    [Theory(Timeout = 300_000)]
    [MemberData(nameof(SnippetFiles))]
    public async Task Each_snippet_runs_against_a_real_broker_and_prints_what_it_did(string file)
    {
        var snippet = Snippets.All[file];
        var result = await snippet.Run(broker);
        Assert.True(result.ExitCode == 0, result.Describe(file) + "\n--- broker log ---\n" + broker.Log);

        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == snippet.ExpectedLines.Count,
            $"{file} printed {lines.Length} lines, expected {snippet.ExpectedLines.Count}:\n{result.Output}");
        for (var i = 0; i < lines.Length; i++)
        {
            Assert.Matches(snippet.ExpectedLines[i], lines[i]);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task Every_snippet_a_page_includes_is_run_by_these_tests()
    {
        var included = new List<(string Page, string Snippet)>();
        var problems = new List<string>();
        var snippetRoot = Path.Combine(Repository.Docs, "snippets") + Path.DirectorySeparatorChar;
        foreach (var page in Directory.EnumerateFiles(Repository.Docs, "*.md", SearchOption.AllDirectories))
        {
            var relativePage = Path.GetRelativePath(Repository.Docs, page);
            foreach (Match include in SnippetInclude().Matches(await File.ReadAllTextAsync(page)))
            {
                var target = include.Groups["path"].Value;
                var full = Path.GetFullPath(target.StartsWith("@/", StringComparison.Ordinal)
                    ? Path.Combine(Repository.Docs, target[2..])
                    : Path.Combine(Path.GetDirectoryName(page)!, target));
                if (!full.StartsWith(snippetRoot, StringComparison.Ordinal))
                {
                    problems.Add($"{relativePage} includes {target}, which is not in docs/snippets: samples live there so they can be run");
                    continue;
                }

                var snippet = Path.GetRelativePath(Repository.Docs, full).Replace('\\', '/');
                included.Add((relativePage, snippet));
                if (!Snippets.All.ContainsKey(snippet))
                {
                    problems.Add($"{relativePage} includes {snippet}, which no test runs: add it to Support/Snippets.cs");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.Contains(included, i => i.Page == Path.Combine("guide", "quickstart.md"));
        var unused = Snippets.All.Keys.Except(included.Select(i => i.Snippet), StringComparer.Ordinal).ToList();
        Assert.True(unused.Count == 0, $"snippets run by the tests but shown on no page: {string.Join(", ", unused)}");
    }

    // `<<< path`, optionally followed by #region, {line highlights} and [title], as VitePress accepts it.
    [GeneratedRegex(@"^\s*<<<\s+(?<path>[^\s#{\[]+)", RegexOptions.Multiline)]
    private static partial Regex SnippetInclude();
}
