// The command-line options that feed configuration, shared by running and `config show`.
using System.CommandLine;
using Sinew.Broker.Configuration;

namespace Sinew.Broker.Host;

internal sealed class ConfigOptions
{
    private readonly Option<FileInfo?> _config = new("--config") { Description = "A TOML configuration file." };
    private readonly Option<string?> _listen = new("--listen") { Description = "Protocol listener address (listener.protocol), e.g. 127.0.0.1:7420; port 0 picks a free port." };
    private readonly Option<string?> _http = new("--http") { Description = "HTTP address (listener.http), e.g. 127.0.0.1:7421." };
    private readonly Option<string?> _dataDir = new("--data-dir") { Description = "Data directory (storage.data_dir)." };
    private readonly Option<string[]> _users = new("--user") { Description = "NAME:PASSWORD of a user; enables authentication. Repeat for more users." };
    private readonly Option<string[]> _set = new("--set") { Description = "Override a setting: section.key=value (see `config reference`). Repeatable." };

    public ConfigOptions(Command command)
    {
        command.Options.Add(_config);
        command.Options.Add(_listen);
        command.Options.Add(_http);
        command.Options.Add(_dataDir);
        command.Options.Add(_users);
        command.Options.Add(_set);
    }

    public ConfigResult Load(ParseResult parse)
    {
        var overrides = new List<KeyValuePair<string, string>>();
        var problems = new List<string>();
        foreach (var assignment in parse.GetValue(_set) ?? [])
        {
            var equals = assignment.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                problems.Add($"--set {assignment}: expected section.key=value");
                continue;
            }

            overrides.Add(KeyValuePair.Create(assignment[..equals], assignment[(equals + 1)..]));
        }

        if (parse.GetValue(_listen) is { } listen)
        {
            overrides.Add(KeyValuePair.Create("listener.protocol", listen));
        }

        if (parse.GetValue(_http) is { } http)
        {
            overrides.Add(KeyValuePair.Create("listener.http", http));
        }

        if (parse.GetValue(_dataDir) is { } dataDir)
        {
            overrides.Add(KeyValuePair.Create("storage.data_dir", dataDir));
        }

        if (parse.GetValue(_users) is { Length: > 0 } users)
        {
            overrides.Add(KeyValuePair.Create("auth.enabled", "true"));
            overrides.Add(KeyValuePair.Create("auth.users", string.Join(",", users)));
        }

        var result = ConfigLoader.Load(parse.GetValue(_config)?.FullName, Environment.GetEnvironmentVariables(), overrides);
        return problems.Count == 0 ? result : result with { Errors = [.. problems, .. result.Errors] };
    }
}
