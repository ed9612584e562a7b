// Builds the effective configuration: defaults, then the TOML file, then SINEW_SECTION__KEY environment
// variables, then command-line overrides. Every problem is collected with where it came from, so one run
// reports all of them.
using System.Collections;
using System.Globalization;
using Tomlyn;
using Tomlyn.Model;

namespace Sinew.Broker.Configuration;

/// <summary>The outcome of loading configuration.</summary>
/// <param name="Options">The effective options (partially applied when there are errors).</param>
/// <param name="Sources">For each setting path, where its value came from.</param>
/// <param name="Errors">Every problem found, each naming the setting and its source.</param>
public sealed record ConfigResult(BrokerOptions Options, IReadOnlyDictionary<string, string> Sources, IReadOnlyList<string> Errors)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>Loads configuration from its layered sources.</summary>
public static class ConfigLoader
{
    /// <summary>The environment variable prefix.</summary>
    public const string EnvironmentPrefix = "SINEW_";

    /// <param name="tomlPath">A TOML file, or null for none.</param>
    /// <param name="environment">Environment variables (usually <see cref="Environment.GetEnvironmentVariables()"/>).</param>
    /// <param name="overrides">Command-line <c>section.key=value</c> overrides, in order.</param>
    public static ConfigResult Load(string? tomlPath, IDictionary environment, IReadOnlyList<KeyValuePair<string, string>> overrides)
    {
        var options = new BrokerOptions();
        var sources = ConfigSchema.Settings.ToDictionary(s => s.Path, _ => "default");
        var errors = new List<string>();

        if (tomlPath is not null)
        {
            ApplyToml(tomlPath, options, sources, errors);
        }

        foreach (DictionaryEntry variable in environment)
        {
            var name = (string)variable.Key;
            if (!name.StartsWith(EnvironmentPrefix, StringComparison.Ordinal) || !name.Contains("__", StringComparison.Ordinal))
            {
                continue;
            }

            var setting = ConfigSchema.Settings.FirstOrDefault(s => s.EnvironmentVariable == name);
            if (setting is null)
            {
                errors.Add($"environment variable {name} does not name a setting{Suggest(name, ConfigSchema.Settings.Select(s => s.EnvironmentVariable))}");
                continue;
            }

            var text = (string?)variable.Value ?? "";
            Apply(setting, options, setting.IsList ? SplitList(text) : [text], $"environment {name}", sources, errors);
        }

        foreach (var (path, value) in overrides)
        {
            var dot = path.IndexOf('.', StringComparison.Ordinal);
            var setting = dot > 0 ? ConfigSchema.Find(path[..dot], path[(dot + 1)..]) : null;
            if (setting is null)
            {
                errors.Add($"--set {path}: no such setting{Suggest(path, ConfigSchema.Settings.Select(s => s.Path))}");
                continue;
            }

            Apply(setting, options, setting.IsList ? SplitList(value) : [value], "command line", sources, errors);
        }

        Validate(options, errors);
        return new ConfigResult(options, sources, errors);
    }

    /// <summary>Checks a TOML file on its own (for <c>config validate</c>).</summary>
    public static ConfigResult Validate(string tomlPath) =>
        Load(tomlPath, new Hashtable(), []);

    private static void ApplyToml(string path, BrokerOptions options, Dictionary<string, string> sources, List<string> errors)
    {
        TomlTable document;
        try
        {
            document = TomlSerializer.Deserialize<TomlTable>(File.ReadAllText(path)) ?? new TomlTable();
        }
        catch (FileNotFoundException)
        {
            errors.Add($"{path}: the configuration file does not exist");
            return;
        }
        catch (TomlException e)
        {
            errors.Add($"{path}: not valid TOML: {e.Message}");
            return;
        }

        foreach (var (sectionName, sectionValue) in document)
        {
            if (sectionValue is not TomlTable section)
            {
                errors.Add($"{path}: '{sectionName}' must be a [table]{Suggest(sectionName, ConfigSchema.Settings.Select(s => s.Section).Distinct())}");
                continue;
            }

            foreach (var (key, value) in section)
            {
                var setting = ConfigSchema.Find(sectionName, key);
                if (setting is null)
                {
                    var candidates = ConfigSchema.Settings.Select(s => s.Path);
                    errors.Add($"{path}: [{sectionName}] {key} is not a setting{Suggest($"{sectionName}.{key}", candidates)}");
                    continue;
                }

                IReadOnlyList<string> values;
                switch (value)
                {
                    case TomlArray array when setting.IsList:
                        values = array.Select(item => Convert.ToString(item, CultureInfo.InvariantCulture) ?? "").ToList();
                        break;
                    case TomlArray:
                        errors.Add($"{path}: {setting.Path} takes a single value, not an array");
                        continue;
                    case TomlTable:
                        errors.Add($"{path}: {setting.Path} takes a value, not a table");
                        continue;
                    case bool b:
                        values = [b ? "true" : "false"];
                        break;
                    default:
                        values = [Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""];
                        break;
                }

                Apply(setting, options, values, $"file {path}", sources, errors);
            }
        }
    }

    private static void Apply(ConfigSetting setting, BrokerOptions options, IReadOnlyList<string> values, string source,
        Dictionary<string, string> sources, List<string> errors)
    {
        try
        {
            setting.Apply(options, values);
            sources[setting.Path] = source;
        }
        catch (FormatException e)
        {
            errors.Add($"{setting.Path} ({source}): {e.Message}; expected {setting.Type}");
        }
    }

    // Rules that involve more than one setting.
    private static void Validate(BrokerOptions options, List<string> errors)
    {
        if (options.Auth.Enabled && options.Auth.Users.Count == 0)
        {
            errors.Add("auth.enabled is true but auth.users lists no user: nobody could connect");
        }

        if (options.Queues.Partitions > options.Queues.MaxPartitions)
        {
            errors.Add($"queues.default_partitions ({options.Queues.Partitions}) exceeds queues.max_partitions ({options.Queues.MaxPartitions})");
        }

        // SubscribeOk and Topology list partitions; the broker announces max_list_items and keeps to it itself.
        if (options.Queues.MaxPartitions > options.Limits.MaxListItems)
        {
            errors.Add($"queues.max_partitions ({options.Queues.MaxPartitions}) exceeds limits.max_list_items ({options.Limits.MaxListItems}): a subscription's partition list must fit one frame's list limit");
        }

        if (options.Storage.SnapshotIntervalBytes < options.Storage.SegmentBytes / 64)
        {
            errors.Add("storage.snapshot_interval_bytes is so small relative to storage.segment_bytes that snapshots would dominate the write load");
        }
    }

    private static List<string> SplitList(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    // "did you mean …?" for the closest candidate by edit distance, when it is close enough.
    private static string Suggest(string input, IEnumerable<string> candidates)
    {
        var best = candidates.Select(c => (Candidate: c, Distance: Distance(input.ToLowerInvariant(), c.ToLowerInvariant())))
            .OrderBy(x => x.Distance)
            .FirstOrDefault();
        return best.Candidate is not null && best.Distance <= Math.Max(2, input.Length / 4) ? $"; did you mean {best.Candidate}?" : "";
    }

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
