// Configuration layering, validation messages and the generated reference.
using System.Collections;
using Sinew.Broker.Configuration;
using Sinew.Broker.Tests.Support;

namespace Sinew.Broker.Tests;

public class ConfigurationTests
{
    private static string Toml(string text)
    {
        var path = Path.Combine(TempDirectory.Create("config"), "sinew.toml");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Later_sources_win_defaults_then_file_then_environment_then_command_line()
    {
        var file = Toml("""
            [storage]
            data_dir = "from-file"
            segment_bytes = "8MiB"
            [queues]
            default_max_retries = 7
            default_lease_ms = 1000
            """);
        var environment = new Hashtable
        {
            ["SINEW_QUEUES__DEFAULT_MAX_RETRIES"] = "8",
            ["SINEW_QUEUES__DEFAULT_LEASE_MS"] = "2000",
            ["SINEW_BROKER"] = "127.0.0.1:1", // not a setting: no "__", ignored
        };
        var result = ConfigLoader.Load(file, environment, [KeyValuePair.Create("queues.default_lease_ms", "3000")]);
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal("from-file", result.Options.Storage.DataDir);
        Assert.Equal(8L << 20, result.Options.Storage.SegmentBytes);
        Assert.Equal(8u, result.Options.Queues.MaxRetries);
        Assert.Equal(3000UL, result.Options.Queues.LeaseMs);
        Assert.Equal("127.0.0.1:7420", result.Options.Listener.Protocol);
        Assert.Equal("default", result.Sources["listener.protocol"]);
        Assert.StartsWith("file ", result.Sources["storage.data_dir"], StringComparison.Ordinal);
        Assert.Equal("environment SINEW_QUEUES__DEFAULT_MAX_RETRIES", result.Sources["queues.default_max_retries"]);
        Assert.Equal("command line", result.Sources["queues.default_lease_ms"]);
    }

    [Fact]
    public void Every_problem_is_reported_with_its_setting_and_source()
    {
        var file = Toml("""
            [storage]
            segmnt_bytes = 5
            [limits]
            max_prefetch = "lots"
            """);
        var environment = new Hashtable { ["SINEW_LISTENER__PROTOCOL"] = "nowhere", ["SINEW_STORAGE__NOPE"] = "1" };
        var result = ConfigLoader.Load(file, environment, [KeyValuePair.Create("auth.enabled", "yes")]);
        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.Contains("segmnt_bytes", StringComparison.Ordinal) && e.Contains("did you mean storage.segment_bytes", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("limits.max_prefetch (file", StringComparison.Ordinal) && e.Contains("'lots' is not a whole number", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("listener.protocol (environment SINEW_LISTENER__PROTOCOL)", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Contains("SINEW_STORAGE__NOPE does not name a setting", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("auth.enabled (command line)", StringComparison.Ordinal));
    }

    [Fact]
    public void Invalid_toml_is_reported_with_its_position()
    {
        var result = ConfigLoader.Validate(Toml("[storage\ndata_dir = 1"));
        Assert.Contains("not valid TOML", Assert.Single(result.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Enabling_auth_without_users_is_refused()
    {
        var result = ConfigLoader.Load(null, new Hashtable(), [KeyValuePair.Create("auth.enabled", "true")]);
        Assert.Contains(result.Errors, e => e.Contains("nobody could connect", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("queues.default_ttl_ms", "315360000000", "315360000001")]
    [InlineData("queues.default_lease_ms", "43200000", "43200001")]
    [InlineData("queues.default_lease_ms", "100", "99")]
    [InlineData("connection.heartbeat_ms", "300000", "300001")]
    [InlineData("storage.dedup_window_ms", "315360000000", "9223372036854775807")]
    public void Duration_settings_are_held_to_the_protocol_ranges(string setting, string largestOrSmallestAllowed, string refused)
    {
        var accepted = ConfigLoader.Load(null, new Hashtable(), [KeyValuePair.Create(setting, largestOrSmallestAllowed)]);
        Assert.True(accepted.IsValid, string.Join("; ", accepted.Errors));
        var result = ConfigLoader.Load(null, new Hashtable(), [KeyValuePair.Create(setting, refused)]);
        Assert.Contains(result.Errors, e => e.StartsWith($"{setting} (command line)", StringComparison.Ordinal) && e.Contains("is outside", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_setting_has_a_distinct_path_environment_variable_and_a_description()
    {
        Assert.Equal(ConfigSchema.Settings.Count, ConfigSchema.Settings.Select(s => s.Path).Distinct().Count());
        Assert.All(ConfigSchema.Settings, s => Assert.False(string.IsNullOrWhiteSpace(s.Description)));
        Assert.All(ConfigSchema.Settings, s => Assert.Matches("^SINEW_[A-Z]+__[A-Z_]+$", s.EnvironmentVariable));
        // Every default must be accepted by its own parser.
        var defaults = new BrokerOptions();
        foreach (var setting in ConfigSchema.Settings.Where(s => !s.IsList))
        {
            setting.Apply(new BrokerOptions(), [setting.Show(defaults)]);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task The_reference_printed_by_the_cli_is_a_well_formed_markdown_table_per_section()
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "sinew-broker.dll"), "config", "reference" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);

        var rows = output.Split('\n').Where(line => line.StartsWith('|')).ToList();
        Assert.NotEmpty(rows);
        foreach (var row in rows)
        {
            // A pipe inside a cell (a list of choices, say) must be escaped, or it splits the row.
            var cells = System.Text.RegularExpressions.Regex.Split(row.Trim(), @"(?<!\\)\|").Length - 2;
            Assert.True(cells == 5, $"{cells} cells in: {row}");
        }

        Assert.Equal(ConfigSchema.Settings.Count, rows.Count(r => r.StartsWith("| `", StringComparison.Ordinal)));
    }
}
