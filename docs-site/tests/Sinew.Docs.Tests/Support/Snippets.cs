// The code samples the site shows, each with how it is run and what it must print. A page may include a
// file of docs/snippets only if it is listed here (SnippetTests checks), so every sample on the site has
// been run against a real broker.
using System.Text.RegularExpressions;

namespace Sinew.Docs.Tests.Support;

/// <param name="File">The snippet's path below docs/, as pages include it (`<<< @/snippets/…`).</param>
/// <param name="Run">Runs it against the broker and returns what it printed.</param>
/// <param name="ExpectedLines">What it must print, line by line.</param>
internal sealed record Snippet(string File, Func<BrokerFixture, Task<ProcessResult>> Run, IReadOnlyList<Regex> ExpectedLines);

internal static class Snippets
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    // Every quickstart does the same thing, so they all print the same lines.
    private static readonly Regex[] Quickstart =
    [
        new(@"^declared queue quickstart\.[0-9a-f-]+$"),
        new(@"^published: partition [01], offset 0$"),
        new("^received: \\{\"order_?[iI]d\":42,\"item\":\"coffee\"\\} \\(attempt 1\\)$"),
        new("^acknowledged$"),
        new("^closed$"),
    ];

    // The failures guide's worker: two retries, a fail on the last attempt, the copy read from $dead-letters.
    private static readonly Regex[] Failures =
    [
        new(@"^declared queue failures\.[0-9a-f-]+$"),
        new("^attempt 1: failures 0 of 2, retrying$"),
        new("^attempt 2: failures 1 of 2, retrying$"),
        new("^attempt 3: failures 2 of 2, last attempt: failing$"),
        new(@"^dead letter from failures\.[0-9a-f-]+: terminal_nack \(gave up after 3 attempts\)$"),
        new("^closed$"),
    ];

    // Every routing view sample does the same thing; only the name of what heard the change differs.
    private static readonly Regex[] RoutingView =
    [
        new(@"^catalogue generation \d+: watching for changes$"),
        new(@"^declared routing-view\.[0-9a-f-]+ with 3 partitions from another client$"),
        new(@"^change: added routing-view\.[0-9a-f-]+ \(3 partitions, routing version 1\)$"),
        new(@"^(handler|listener|callback): added routing-view\.[0-9a-f-]+$"),
        new(@"^catalogue lists routing-view\.[0-9a-f-]+: 3 partitions, routing version 1$"),
        new(@"^published with key customer-7 to partition 0$"),
        new("^closed$"),
    ];

    public static IReadOnlyDictionary<string, Snippet> All { get; } = new[]
    {
        new Snippet("snippets/quickstart/quickstart.cs", broker => RunDotNetAsync("snippets/quickstart", "quickstart", broker), Quickstart),
        new Snippet("snippets/quickstart/quickstart.ts", broker => RunTypeScriptAsync("snippets/quickstart/tsconfig.json", "quickstart.js", broker), Quickstart),
        new Snippet("snippets/quickstart/quickstart.py", broker => RunPythonAsync("snippets/quickstart/quickstart.py", broker), Quickstart),
        new Snippet("snippets/failures/failures.cs", broker => RunDotNetAsync("snippets/failures", "failures", broker), Failures),
        new Snippet("snippets/failures/failures.ts", broker => RunTypeScriptAsync("snippets/failures/tsconfig.json", "failures.js", broker), Failures),
        new Snippet("snippets/failures/failures.py", broker => RunPythonAsync("snippets/failures/failures.py", broker), Failures),
        new Snippet("snippets/routing-view/routing-view.cs", broker => RunDotNetAsync("snippets/routing-view", "routing-view", broker), RoutingView),
        new Snippet("snippets/routing-view/routing-view.ts", broker => RunTypeScriptAsync("snippets/routing-view/tsconfig.json", "routing-view.js", broker), RoutingView),
        new Snippet("snippets/routing-view/routing-view.py", broker => RunPythonAsync("snippets/routing-view/routing-view.py", broker), RoutingView),
    }.ToDictionary(s => s.File, StringComparer.Ordinal);

    private static Dictionary<string, string> Environment(BrokerFixture broker) => new()
    {
        ["SINEW_BROKER"] = broker.Endpoint,
        ["PYTHONDONTWRITEBYTECODE"] = "1",
    };

    /// <summary>A C# snippet is a console project, built with these tests (they reference it); its DLL is run.</summary>
    private static Task<ProcessResult> RunDotNetAsync(string project, string assembly, BrokerFixture broker)
    {
        var dll = Path.Combine(Repository.Docs, project, "bin", Repository.Configuration, "net10.0", assembly + ".dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} does not exist; building this test project builds it (dotnet build docs-site/tests/Sinew.Docs.Tests)");
        }

        return ChildProcess.RunAsync("dotnet", [dll], Limit, Path.GetDirectoryName(dll), Environment(broker));
    }

    /// <summary>A TypeScript snippet is type-checked and compiled with the site's TypeScript against the
    /// repository's @sinew/client (its built dist/), then run with Node.js from a scratch folder where
    /// @sinew/client resolves to the repository's package.</summary>
    private static async Task<ProcessResult> RunTypeScriptAsync(string tsconfig, string output, BrokerFixture broker)
    {
        var tsc = Path.Combine(Repository.Site, "node_modules", "typescript", "bin", "tsc");
        if (!File.Exists(tsc))
        {
            throw new InvalidOperationException($"{tsc} does not exist; run `npm ci` in docs-site (the Docs build target does)");
        }

        var client = Path.Combine(Repository.Root, "sdk-typescript");
        if (!File.Exists(Path.Combine(client, "dist", "index.js")))
        {
            throw new InvalidOperationException("sdk-typescript/dist is not built; run `npm run build` in sdk-typescript (the Build target does)");
        }

        var scratch = Path.Combine(Path.GetTempPath(), $"sinew-docs-snippet-{Guid.NewGuid():N}");
        try
        {
            var compiled = await ChildProcess.RunAsync("node", [tsc, "-p", Path.Combine(Repository.Docs, tsconfig), "--outDir", scratch], Limit);
            if (compiled.ExitCode != 0)
            {
                return compiled with { Error = "tsc failed:\n" + compiled.Output + compiled.Error };
            }

            await File.WriteAllTextAsync(Path.Combine(scratch, "package.json"), "{ \"type\": \"module\" }\n");
            Directory.CreateDirectory(Path.Combine(scratch, "node_modules", "@sinew"));
            Directory.CreateSymbolicLink(Path.Combine(scratch, "node_modules", "@sinew", "client"), client);
            return await ChildProcess.RunAsync("node", [Path.Combine(scratch, output)], Limit, scratch, Environment(broker));
        }
        finally
        {
            if (Directory.Exists(scratch))
            {
                Directory.Delete(scratch, recursive: true);
            }
        }
    }

    /// <summary>A Python snippet runs with the repository's virtual environment, where sdk-python is installed.</summary>
    private static Task<ProcessResult> RunPythonAsync(string file, BrokerFixture broker)
    {
        if (!File.Exists(Repository.VenvPython))
        {
            throw new InvalidOperationException($"{Repository.VenvPython} does not exist; run `dotnet cake --target=Bootstrap`");
        }

        var script = Path.Combine(Repository.Docs, file);
        return ChildProcess.RunAsync(Repository.VenvPython, [script], Limit, Path.GetDirectoryName(script), Environment(broker));
    }
}
