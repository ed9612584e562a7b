// `sinew-broker config validate` and `config show` run as an operator runs them: the built executable, its exit
// code, and what it prints on each stream for a valid file, a value of the wrong kind, an unknown key and a file
// that does not exist.
using System.Diagnostics;
using Sinew.Broker.Tests.Support;

namespace Sinew.Broker.Tests;

public class ConfigCommandTests
{
    private const int InvalidConfiguration = 2;

    [Fact(Timeout = 60_000)]
    public async Task Validate_accepts_a_valid_file_with_exit_code_0_and_says_so()
    {
        var file = Toml("""
            [storage]
            segment_bytes = "8MiB"
            [queues]
            default_lease_ms = 1500
            """);
        var run = await RunAsync("config", "validate", file);
        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Equal($"{file}: valid\n", run.StandardOutput);
        Assert.Equal("", run.StandardError);
    }

    [Fact(Timeout = 60_000)]
    public async Task Validate_refuses_a_value_of_the_wrong_kind_naming_the_setting_the_file_and_what_it_expects()
    {
        var file = Toml("""
            [queues]
            default_lease_ms = "soon"
            """);
        var run = await RunAsync("config", "validate", file);
        Assert.True(run.ExitCode == InvalidConfiguration, run.Describe());
        Assert.Equal("", run.StandardOutput);
        var line = Assert.Single(Lines(run.StandardError));
        Assert.StartsWith($"sinew-broker: configuration error: queues.default_lease_ms (file {file}): ", line, StringComparison.Ordinal);
        Assert.Contains("'soon'", line, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Validate_refuses_an_unknown_key_suggesting_the_setting_it_resembles_and_reports_every_problem()
    {
        var file = Toml("""
            [storage]
            segmnt_bytes = 5
            [limits]
            max_prefetch = "lots"
            """);
        var run = await RunAsync("config", "validate", file);
        Assert.True(run.ExitCode == InvalidConfiguration, run.Describe());
        var lines = Lines(run.StandardError);
        Assert.Equal(2, lines.Count);
        Assert.Contains($"sinew-broker: configuration error: {file}: [storage] segmnt_bytes is not a setting; did you mean storage.segment_bytes?", lines);
        Assert.Contains(lines, l => l.StartsWith($"sinew-broker: configuration error: limits.max_prefetch (file {file}): ", StringComparison.Ordinal));
    }

    [Fact(Timeout = 60_000)]
    public async Task Validate_of_a_file_that_does_not_exist_says_so()
    {
        var missing = Path.Combine(TempDirectory.Create("config"), "absent.toml");
        var run = await RunAsync("config", "validate", missing);
        Assert.True(run.ExitCode == InvalidConfiguration, run.Describe());
        Assert.Equal($"sinew-broker: configuration error: {missing}: the configuration file does not exist", Assert.Single(Lines(run.StandardError)));
    }

    [Fact(Timeout = 60_000)]
    public async Task Show_prints_every_setting_with_the_source_of_its_value_file_environment_command_line_or_default()
    {
        var file = Toml("""
            [queues]
            default_lease_ms = 1500
            default_max_retries = 3
            """);
        var run = await RunAsync(
            ["config", "show", "--effective", "--config", file, "--set", "queues.default_max_retries=9", "--data-dir", "elsewhere"],
            new Dictionary<string, string> { ["SINEW_QUEUES__DEFAULT_TTL_MS"] = "60000" });
        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Equal("", run.StandardError);

        var shown = Settings(run.StandardOutput);
        Assert.Equal($"1500  # file {file}", shown["queues.default_lease_ms"]);
        Assert.Equal("9  # command line", shown["queues.default_max_retries"]);
        Assert.Equal("60000  # environment SINEW_QUEUES__DEFAULT_TTL_MS", shown["queues.default_ttl_ms"]);
        Assert.Equal("\"elsewhere\"  # command line", shown["storage.data_dir"]);
        Assert.Equal("\"127.0.0.1:7420\"  # default", shown["listener.protocol"]);
        Assert.Equal(Sinew.Broker.Configuration.ConfigSchema.Settings.Count, shown.Count);
    }

    [Fact(Timeout = 60_000)]
    public async Task Show_with_an_invalid_override_prints_the_configuration_and_the_problem_and_fails()
    {
        var run = await RunAsync("config", "show", "--set", "queues.default_lease_ms=50", "--set", "storage.nope=1");
        Assert.True(run.ExitCode == InvalidConfiguration, run.Describe());
        Assert.Contains("[queues]", run.StandardOutput, StringComparison.Ordinal);
        var lines = Lines(run.StandardError);
        Assert.Equal(2, lines.Count);
        Assert.Contains(lines, l => l.StartsWith("sinew-broker: configuration error: queues.default_lease_ms (command line): ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("sinew-broker: configuration error: --set storage.nope: no such setting", StringComparison.Ordinal));
    }

    private static string Toml(string text)
    {
        var path = Path.Combine(TempDirectory.Create("config"), "sinew.toml");
        File.WriteAllText(path, text);
        return path;
    }

    private static List<string> Lines(string text) => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    // "section.key" -> "value  # source", from the TOML `config show` prints.
    private static Dictionary<string, string> Settings(string toml)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        var section = "";
        foreach (var line in Lines(toml))
        {
            if (line.StartsWith('['))
            {
                section = line.Trim('[', ']');
            }
            else if (!line.StartsWith('#') && line.IndexOf(" = ", StringComparison.Ordinal) is var equals and > 0)
            {
                settings.Add($"{section}.{line[..equals]}", line[(equals + 3)..]);
            }
        }

        return settings;
    }

    private static Task<Run> RunAsync(params string[] arguments) => RunAsync(arguments, new Dictionary<string, string>());

    // The broker executable built next to the tests (the project references the host), with no SINEW_ variable
    // from the environment the tests run in but the ones given.
    private static async Task<Run> RunAsync(string[] arguments, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sinew-broker.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("SINEW_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new Run(process.ExitCode, await output, await errors);
    }

    private sealed record Run(int ExitCode, string StandardOutput, string StandardError)
    {
        public string Describe() => $"exit code {ExitCode}\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}";
    }
}
