// Where each client's driver is found when no --driver is given: in a checkout of the repository (found
// by walking up from the working directory and from the tool itself), otherwise as installed packages.
namespace Sinew.Conformance.Execution;

internal static class DriverLocator
{
    public static DriverCommand Default(string client)
    {
        var repository = RepositoryRoot();
        switch (client)
        {
            case "csharp":
                // The C# driver is this tool itself, started as its own child process.
                var self = Environment.ProcessPath ?? "dotnet";
                return Path.GetFileNameWithoutExtension(self) == "dotnet"
                    ? new DriverCommand(self, [typeof(DriverLocator).Assembly.Location, "driver"])
                    : new DriverCommand(self, ["driver"]);
            case "typescript":
                var script = repository is null ? null : Path.Combine(repository, "sdk-typescript", "conformance", "driver.mjs");
                return script is not null && File.Exists(script)
                    ? new DriverCommand("node", [script])
                    : new DriverCommand("npx", ["--no-install", "sinew-conformance-driver"]);
            case "python":
                if (repository is not null && Directory.Exists(Path.Combine(repository, "sdk-python", "src", "sinew")))
                {
                    var venv = Path.Combine(repository, ".venv", "bin", "python");
                    return new DriverCommand(File.Exists(venv) ? venv : "python3", ["-m", "sinew.conformance"],
                        new Dictionary<string, string> { ["PYTHONPATH"] = Path.Combine(repository, "sdk-python", "src") });
                }

                return new DriverCommand("python3", ["-m", "sinew.conformance"]);
            default:
                throw new InvalidOperationException($"no driver is known for client '{client}'; give one with --driver {client}=COMMAND");
        }
    }

    private static string? RepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "wire-vectors", "protocol.json")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }
}
