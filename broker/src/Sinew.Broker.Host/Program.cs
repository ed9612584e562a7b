// sinew-broker: runs the broker, or inspects its configuration.
//
//   sinew-broker [--config FILE] [--listen HOST:PORT] [--http HOST:PORT] [--data-dir DIR] [--user NAME:PASSWORD]... [--set KEY=VALUE]...
//   sinew-broker config show --effective [same options]
//   sinew-broker config validate FILE
//   sinew-broker config reference
using System.CommandLine;
using System.Text.Json;
using Sinew.Broker.Configuration;
using Sinew.Broker.Hosting;
using Sinew.Broker.Host;

var root = new RootCommand("The Sinew message broker. Runs until SIGTERM or Ctrl-C; prints one JSON line on standard output once it listens.");
var runOptions = new ConfigOptions(root);
root.SetAction((parse, cancellationToken) => RunAsync(runOptions.Load(parse), cancellationToken));

var config = new Command("config", "Inspect and check configuration.");
var show = new Command("show", "Print the configuration the broker would run with, and where each value comes from.");
var effective = new Option<bool>("--effective") { Description = "Apply the file, environment and command line over the defaults (the default)." };
show.Options.Add(effective);
var showOptions = new ConfigOptions(show);
show.SetAction(parse =>
{
    var result = showOptions.Load(parse);
    Console.Out.Write(ConfigReport.Toml(result));
    return ConfigReport.PrintErrors(result);
});
var validate = new Command("validate", "Check a TOML configuration file; exit 0 when it is valid.");
var file = new Argument<FileInfo>("FILE") { Description = "The TOML file." };
validate.Arguments.Add(file);
validate.SetAction(parse =>
{
    var result = ConfigLoader.Validate(parse.GetValue(file)!.FullName);
    if (result.IsValid)
    {
        Console.Out.WriteLine($"{parse.GetValue(file)!.FullName}: valid");
    }

    return ConfigReport.PrintErrors(result);
});
var reference = new Command("reference", "Print the configuration reference as Markdown.");
reference.SetAction(_ =>
{
    Console.Out.Write(ConfigReport.Markdown());
    return 0;
});
config.Subcommands.Add(show);
config.Subcommands.Add(validate);
config.Subcommands.Add(reference);
root.Subcommands.Add(config);

// The host's own lifetime handles SIGTERM and Ctrl-C with a graceful shutdown; the command-line
// library must not also act on them, or it would end the process before the shutdown finishes.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);

static async Task<int> RunAsync(ConfigResult config, CancellationToken cancellationToken)
{
    if (ConfigReport.PrintErrors(config) != 0)
    {
        return 2;
    }

    BrokerHost host;
    try
    {
        host = await BrokerHost.StartAsync(config.Options, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
    catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException or InvalidDataException)
    {
        await Console.Error.WriteLineAsync($"sinew-broker: could not start: {e.Message}").ConfigureAwait(false);
        return 1;
    }

    await using (host.ConfigureAwait(false))
    {
        // One machine-readable line, so scripts and test fixtures can find the bound ports.
        var ready = JsonSerializer.Serialize(new
        {
            @event = "ready",
            protocol = host.ProtocolEndPoint.ToString(),
            http = host.HttpEndPoint.ToString(),
            pid = Environment.ProcessId,
            data_dir = host.DataDirectory,
            version = typeof(BrokerHost).Assembly.GetName().Version?.ToString(3),
        });
        await Console.Out.WriteLineAsync(ready).ConfigureAwait(false);
        await Console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
        await host.WaitForShutdownAsync(CancellationToken.None).ConfigureAwait(false);
    }

    return 0;
}
