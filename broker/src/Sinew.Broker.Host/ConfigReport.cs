// Renders configuration for people: the effective TOML with sources, and the Markdown reference.
using System.Text;
using Sinew.Broker.Configuration;

namespace Sinew.Broker.Host;

internal static class ConfigReport
{
    /// <summary>Prints every configuration problem to standard error and returns the exit code: 0 when there is none,
    /// otherwise 2, the code the broker exits with on invalid configuration, so that <c>config validate</c> and
    /// <c>config show</c> fail the way starting the broker with that configuration would.</summary>
    public static int PrintErrors(ConfigResult result)
    {
        foreach (var error in result.Errors)
        {
            Console.Error.WriteLine($"sinew-broker: configuration error: {error}");
        }

        return result.IsValid ? 0 : 2;
    }

    public static string Toml(ConfigResult result)
    {
        var text = new StringBuilder();
        text.AppendLine("# Effective configuration: defaults < TOML file < SINEW_SECTION__KEY environment < command line");
        foreach (var section in ConfigSchema.Settings.GroupBy(s => s.Section))
        {
            text.AppendLine().AppendLine($"[{section.Key}]");
            foreach (var setting in section)
            {
                var value = setting.Show(result.Options);
                var rendered = setting.IsList
                    ? "[" + string.Join(", ", value.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Quote)) + "]"
                    : setting.Type.StartsWith("integer", StringComparison.Ordinal) || setting.Type.StartsWith("bytes", StringComparison.Ordinal) || setting.Type == "true or false"
                        ? value
                        : Quote(value);
                text.AppendLine($"{setting.Key} = {rendered}  # {result.Sources[setting.Path]}");
            }
        }

        return text.ToString();
    }

    public static string Markdown()
    {
        var text = new StringBuilder();
        text.AppendLine("Settings apply in this order, later sources winning: built-in defaults, the TOML file given with");
        text.AppendLine("`--config`, environment variables `SINEW_<SECTION>__<KEY>`, and the command line (`--set section.key=value`");
        text.AppendLine("and the shortcuts `--listen`, `--http`, `--data-dir`, `--user`).");
        foreach (var section in ConfigSchema.Settings.GroupBy(s => s.Section))
        {
            text.AppendLine().AppendLine($"## [{section.Key}]").AppendLine();
            text.AppendLine("| key | type | default | environment variable | meaning |");
            text.AppendLine("|---|---|---|---|---|");
            var defaults = new BrokerOptions();
            foreach (var setting in section)
            {
                var shown = setting.Show(defaults);
                text.AppendLine($"| `{setting.Key}` | {Cell(setting.Type)} | `{Cell(shown.Length == 0 ? "(none)" : shown)}` | `{setting.EnvironmentVariable}` | {Cell(setting.Description)} |");
            }
        }

        return text.ToString();
    }

    // A pipe inside a table cell (the choices of a setting, say) would end the cell.
    private static string Cell(string value) => value.Replace("|", "\\|", StringComparison.Ordinal);

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
