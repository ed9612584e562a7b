// Finding the entry assembly of a tool built in this repository (the broker, the fault proxy): an environment
// variable naming it wins, then the build in this library's configuration, then the other configuration's.
using System.Reflection;

namespace Sinew.Testing;

public static class BuiltTool
{
    /// <summary>The repository's root: the nearest directory above this assembly holding <c>Sinew.slnx</c>.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The configuration these tests were built in; its build of a tool is preferred, so a Debug test run
    /// never picks up a stale Release broker (or the other way round).</summary>
    public static string Configuration { get; } =
        string.Equals(typeof(BuiltTool).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration, "Debug",
            StringComparison.OrdinalIgnoreCase) ? "Debug" : "Release";

    /// <summary>Where <paramref name="assembly"/> of the project at <paramref name="projectDirectory"/> (relative to the
    /// repository root) is built, or what <paramref name="overrideVariable"/> names.</summary>
    /// <exception cref="FileNotFoundException">Neither exists; the message says how to build it.</exception>
    public static string Locate(string projectDirectory, string assembly, string overrideVariable)
    {
        var overridden = Environment.GetEnvironmentVariable(overrideVariable);
        if (!string.IsNullOrEmpty(overridden))
        {
            return File.Exists(overridden)
                ? overridden
                : throw new FileNotFoundException($"{overrideVariable} names {overridden}, which does not exist.", overridden);
        }

        var other = Configuration == "Debug" ? "Release" : "Debug";
        var candidates = new[] { Configuration, other }
            .Select(c => Path.Combine(RepositoryRoot, projectDirectory, "bin", c, "net10.0", assembly))
            .ToList();
        return candidates.FirstOrDefault(File.Exists) ?? throw new FileNotFoundException(
            $"{assembly} is not built at {string.Join(" or ", candidates)}. Build it with `dotnet build {projectDirectory} -c {Configuration}`, " +
            $"or set {overrideVariable}.", candidates[0]);
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Sinew.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No directory above {AppContext.BaseDirectory} holds Sinew.slnx.");
    }
}
