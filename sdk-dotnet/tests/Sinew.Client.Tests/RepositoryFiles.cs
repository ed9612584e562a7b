// Finds files of the repository, such as the shared wire vectors, from the test's output directory.
using System.Text.Json.Nodes;

namespace Sinew.Client.Tests;

internal static class RepositoryFiles
{
    private static readonly Lazy<string> LazyWireVectors = new(FindWireVectors);
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The repository's root directory, the one holding Sinew.slnx.</summary>
    public static string Root => LazyRoot.Value;

    public static JsonObject WireVector(string file) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(LazyWireVectors.Value, file)))!.AsObject();

    private static string FindWireVectors()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("SINEW_WIRE_VECTORS");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "wire-vectors");
            if (File.Exists(Path.Combine(candidate, "protocol.json")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("wire-vectors/protocol.json not found above the test directory; set SINEW_WIRE_VECTORS.");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sinew.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Sinew.slnx not found above the test directory.");
    }
}
