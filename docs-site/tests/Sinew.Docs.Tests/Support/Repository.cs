// Where the tests find the repository, the built site and the programs they run.
using System.Reflection;

namespace Sinew.Docs.Tests.Support;

internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Site => Path.Combine(Root, "docs-site");

    /// <summary>The sources of the current docs (the site's main version).</summary>
    public static string Docs => Path.Combine(Site, "docs");

    /// <summary>The built site, as the Docs build target leaves it.</summary>
    public static string Dist => Path.Combine(Site, ".vitepress", "dist");

    public static string Artifacts => Path.Combine(Root, "artifacts");

    public static string VenvPython => Path.Combine(Root, ".venv", "bin", "python");

    /// <summary>The configuration the tests were built in; the snippet projects are built in the same one.</summary>
    public static string Configuration { get; } =
        typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Configuration").Value!;

    /// <summary>The built broker: the tests' configuration first, else whichever was built.</summary>
    public static string BrokerDll
    {
        get
        {
            var candidates = new[] { Configuration, "Release", "Debug" }
                .Distinct(StringComparer.Ordinal)
                .Select(c => Path.Combine(Root, "broker", "src", "Sinew.Broker.Host", "bin", c, "net10.0", "sinew-broker.dll"))
                .Where(File.Exists)
                .ToList();
            return candidates.Count > 0
                ? candidates[0]
                : throw new InvalidOperationException(
                    "the broker is not built (no broker/src/Sinew.Broker.Host/bin/*/net10.0/sinew-broker.dll); run `dotnet cake --target=Build`");
        }
    }

    public const string SiteNotBuilt =
        "The documentation site is not built: docs-site/.vitepress/dist/index.html does not exist. " +
        "Build it with `dotnet tool restore && dotnet cake --target=Docs` (or run `dotnet cake --target=DocsTest`, which builds it and runs these tests).";

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Sinew.slnx")) && Directory.Exists(Path.Combine(directory.FullName, "docs-site")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no repository root (a folder with Sinew.slnx) above {AppContext.BaseDirectory}");
    }
}
