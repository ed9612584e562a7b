// sinew-conformance: runs the conformance scenarios through each client's driver and the raw protocol
// cases against a broker, reports a parity matrix, and fails when any client falls short.
//
//   sinew-conformance [--broker HOST:PORT] [--clients csharp,typescript,python] [--scenario GLOB]...
//                     [--report DIR] [--driver NAME=COMMAND]... [--scenarios DIR] [--username U --password P] [--list]
//   sinew-conformance driver     (the C# client's driver: JSON lines on stdin/stdout, see conformance/DRIVERS.md)
//
// Exit codes: 0 the gate passed, 1 the gate failed, 2 the run could not be made (bad arguments, no broker).
using System.CommandLine;
using System.Text.RegularExpressions;
using Sinew.Conformance;
using Sinew.Conformance.Execution;
using Sinew.Conformance.Observation;
using Sinew.Conformance.Raw;
using Sinew.Conformance.Reporting;
using Sinew.Conformance.Scenarios;

var broker = new Option<string?>("--broker") { Description = "HOST:PORT of the broker to check. Without it, a fresh broker is started for the run." };
var clients = new Option<string>("--clients") { Description = "Clients to run, comma-separated.", DefaultValueFactory = _ => "csharp,typescript,python" };
var scenarioGlobs = new Option<string[]>("--scenario") { Description = "Only scenarios whose id matches this glob (* wildcard). Repeatable." };
var report = new Option<string?>("--report") { Description = "Directory for conformance.json, conformance-junit.xml and conformance.html." };
var drivers = new Option<string[]>("--driver") { Description = "NAME=COMMAND to run a client's driver, e.g. typescript=\"node driver.mjs\". Repeatable." };
var scenarioDir = new Option<string?>("--scenarios") { Description = "Read scenarios from this directory instead of the ones built into the tool." };
var username = new Option<string?>("--username") { Description = "User name for a broker that requires authentication." };
var password = new Option<string?>("--password") { Description = "Password for a broker that requires authentication." };
var list = new Option<bool>("--list") { Description = "List the scenarios and raw cases, then exit." };

var root = new RootCommand("Runs the Sinew conformance scenarios through each client and the raw protocol cases against a broker.")
{
    broker, clients, scenarioGlobs, report, drivers, scenarioDir, username, password, list,
};
// The C# client's driver. The runner starts it as a child process, so standard output carries nothing but
// protocol lines (UTF-8 without a byte-order mark, whatever the console's encoding); logs go to standard error.
var driver = new Command("driver", "Run the C# client's conformance driver: steps as JSON lines on standard input, results on standard output.");
driver.SetAction(async (_, cancellationToken) =>
{
    var utf8 = new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
    using var input = new StreamReader(Console.OpenStandardInput(), utf8);
    using var output = new StreamWriter(Console.OpenStandardOutput(), utf8) { AutoFlush = false };
    return await Sinew.Client.Conformance.ConformanceDriver.RunAsync(input, output, Console.Error, cancellationToken).ConfigureAwait(false);
});
root.Subcommands.Add(driver);

root.SetAction((parse, cancellationToken) => Runner.RunAsync(new RunOptions(
    parse.GetValue(broker),
    parse.GetValue(clients)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
    parse.GetValue(scenarioGlobs) ?? [],
    parse.GetValue(report),
    parse.GetValue(drivers) ?? [],
    parse.GetValue(scenarioDir),
    parse.GetValue(username),
    parse.GetValue(password),
    parse.GetValue(list)), cancellationToken));

return await root.Parse(args).InvokeAsync().ConfigureAwait(false);

namespace Sinew.Conformance
{
    internal sealed record RunOptions(
        string? Broker,
        string[] Clients,
        string[] ScenarioGlobs,
        string? ReportDirectory,
        string[] Drivers,
        string? ScenarioDirectory,
        string? Username,
        string? Password,
        bool List);

    internal static class Runner
    {
        public static async Task<int> RunAsync(RunOptions options, CancellationToken cancellationToken)
        {
            IReadOnlyList<Scenario> allScenarios;
            try
            {
                allScenarios = ScenarioSet.Load(options.ScenarioDirectory);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException)
            {
                return Fail($"cannot read the scenarios: {e.Message}");
            }

            var selected = allScenarios.Where(s => Matches(s.Id, options.ScenarioGlobs)).ToList();
            var rawCases = RawCases.All.Where(c => Matches(c.Id, options.ScenarioGlobs)).ToList();
            if (options.List)
            {
                foreach (var scenario in allScenarios)
                {
                    Console.WriteLine($"{scenario.Id,-70} {scenario.Title}");
                }

                foreach (var raw in RawCases.All)
                {
                    Console.WriteLine($"{raw.Id,-70} {raw.Title}");
                }

                return 0;
            }

            var driverCommands = new Dictionary<string, DriverCommand>(StringComparer.Ordinal);
            foreach (var spec in options.Drivers)
            {
                var equals = spec.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    return Fail($"--driver {spec}: expected NAME=COMMAND");
                }

                var words = SplitCommand(spec[(equals + 1)..]);
                driverCommands[spec[..equals]] = new DriverCommand(words[0], words[1..]);
            }

            BrokerEnvironment environment;
            try
            {
                environment = options.Broker is { } endpoint
                    ? await BrokerEnvironment.ExternalAsync(endpoint, cancellationToken).ConfigureAwait(false)
                    : await BrokerEnvironment.LocalAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (UnusableBrokerException e)
            {
                return Fail(e.Message);
            }

            var observer = new FrameObserver();
            environment.ObserveThrough(observer);
            await using (environment.ConfigureAwait(false))
            await using (observer.ConfigureAwait(false))
            {
                if (options.Username is { } user)
                {
                    environment.Credentials = new Sinew.Protocol.Messages.Auth(Sinew.Protocol.Messages.AuthMechanism.Plain, user, options.Password ?? "");
                }

                Console.WriteLine($"sinew-conformance: {selected.Count} scenario(s) × {options.Clients.Length} client(s), {rawCases.Count} raw case(s), {environment.Description}");
                var started = DateTimeOffset.UtcNow;
                var runId = Convert.ToHexStringLower(BitConverter.GetBytes(Environment.TickCount64)).AsSpan(0, 6).ToString();
                var results = new List<ScenarioResult>();
                var clientInfos = new List<ClientInfo>();
                var problems = new List<string>();

                var observations = new List<WireObservation>();
                results.AddRange(await RunRawCasesAsync(rawCases, environment, runId, observer, observations).ConfigureAwait(false));

                var runner = new ScenarioRunner(environment, runId);
                foreach (var client in options.Clients)
                {
                    var command = driverCommands.GetValueOrDefault(client) ?? DriverLocator.Default(client);
                    DriverProcess driver;
                    try
                    {
                        driver = await DriverProcess.StartAsync(client, command, environment.Endpoint).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is InvalidOperationException or IOException or TimeoutException)
                    {
                        problems.Add($"the {client} driver could not be started: {e.Message}");
                        Console.WriteLine($"  ! {client}: {e.Message}");
                        continue;
                    }

                    clientInfos.Add(new ClientInfo(client, driver.Version, command.ToString()));
                    Console.WriteLine($"{client} {driver.Version} ({command})");
                    try
                    {
                        foreach (var scenario in selected)
                        {
                            if (driver.HasExited)
                            {
                                await driver.DisposeAsync().ConfigureAwait(false);
                                driver = await DriverProcess.StartAsync(client, command, environment.Endpoint).ConfigureAwait(false);
                            }

                            observer.Begin();
                            var result = await runner.RunAsync(scenario, client, () => DriverProcess.StartAsync(client, command, environment.Endpoint), driver).ConfigureAwait(false);
                            var observation = observer.End(scenario.Id, client);
                            observations.Add(observation);
                            result = Verdict.Apply(result, observation);
                            results.Add(result);
                            Progress(result);
                        }
                    }
                    finally
                    {
                        await driver.DisposeAsync().ConfigureAwait(false);
                    }
                }

                var ops = Gate.ProtocolOps(ScenarioSet.EmbeddedText("protocol.json"));
                var unpinned = Gate.KnownUnpinned(ScenarioSet.EmbeddedText("unpinned-ops.json"));
                var pins = allScenarios.Select(s => (s.Id, s.Pins)).Concat(RawCases.All.Select(c => (c.Id, c.Pins)));
                problems.AddRange(Gate.Problems(results, ops, unpinned, pins));
                var fullRun = options.ScenarioGlobs.Length == 0;
                problems.AddRange(Gate.CoverageProblems(results, observations, pins, ops, unpinned, fullRun));
                var coverage = Gate.Coverage(results, observations, pins);

                var finished = new RunReport(started, environment.Description, clientInfos, results, problems) { Coverage = coverage, CoverageChecked = fullRun };
                Summary(finished);
                if (options.ReportDirectory is { } directory)
                {
                    ReportWriter.WriteAll(finished, directory);
                    Console.WriteLine($"reports: {Path.GetFullPath(Path.Combine(directory, "conformance.html"))} (+ conformance.json, conformance-junit.xml)");
                }

                return finished.GatePassed ? 0 : 1;
            }
        }

        private static async Task<List<ScenarioResult>> RunRawCasesAsync(List<RawCase> cases, BrokerEnvironment environment, string runId,
            FrameObserver observer, List<WireObservation> observations)
        {
            var results = new List<ScenarioResult>();
            if (cases.Count > 0)
            {
                Console.WriteLine("raw protocol");
            }

            var context = new RawContext(environment, $"cf-{runId}");
            foreach (var rawCase in cases)
            {
                var stopwatch = System.Diagnostics.Stopwatch.StartNew();
                ScenarioResult result;
                var missing = rawCase.Requires.Where(r => !environment.Capabilities.Contains(r)).ToList();
                if (missing.Count > 0)
                {
                    result = new ScenarioResult(rawCase.Id, rawCase.Title, "Raw protocol", rawCase.Spec, "raw", Outcome.NotApplicable,
                        $"needs {string.Join(", ", missing)}, which this run does not provide", 0);
                }
                else
                {
                    observer.Begin();
                    try
                    {
                        await rawCase.Run(context).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                        result = new ScenarioResult(rawCase.Id, rawCase.Title, "Raw protocol", rawCase.Spec, "raw", Outcome.Passed, null, stopwatch.ElapsedMilliseconds);
                    }
                    catch (Exception e) when (e is RawCaseFailure or TimeoutException or IOException or System.Net.Sockets.SocketException
                                                  or Sinew.Protocol.Framing.FrameDecodeException)
                    {
                        result = new ScenarioResult(rawCase.Id, rawCase.Title, "Raw protocol", rawCase.Spec, "raw", Outcome.Failed, e.Message, stopwatch.ElapsedMilliseconds);
                    }

                    var observation = observer.End(rawCase.Id, "raw");
                    observations.Add(observation);
                    result = Verdict.Apply(result, observation);
                }

                results.Add(result);
                Progress(result);
            }

            return results;
        }

        private static void Progress(ScenarioResult result)
        {
            var mark = result.Outcome switch
            {
                Outcome.Passed => "pass",
                Outcome.Failed => "FAIL",
                Outcome.Missing => "MISS",
                Outcome.NotImplemented => "n/i ",
                _ => "n/a ",
            };
            Console.WriteLine($"  {mark} {result.Client,-10} {result.Id} ({result.DurationMs} ms)");
            if (result.Outcome is Outcome.Failed or Outcome.Missing or Outcome.NotImplemented)
            {
                Console.WriteLine($"       {result.Message}");
            }
        }

        private static void Summary(RunReport report)
        {
            Console.WriteLine();
            foreach (var group in report.Results.GroupBy(r => r.Client))
            {
                Console.WriteLine($"{group.Key,-10} passed {group.Count(r => r.Outcome == Outcome.Passed),3}  failed {group.Count(r => r.Outcome == Outcome.Failed),3}  " +
                                  $"missing {group.Count(r => r.Outcome == Outcome.Missing),3}  not implemented {group.Count(r => r.Outcome == Outcome.NotImplemented),3}  " +
                                  $"not applicable {group.Count(r => r.Outcome == Outcome.NotApplicable),3}");
            }

            if (report.GatePassed)
            {
                Console.WriteLine("parity gate: passed");
                return;
            }

            Console.WriteLine($"parity gate: FAILED ({report.GateProblems.Count} problem(s))");
            foreach (var problem in report.GateProblems)
            {
                Console.WriteLine($"  - {problem}");
            }
        }

        private static bool Matches(string id, string[] globs) =>
            globs.Length == 0 || globs.Any(g => Regex.IsMatch(id, "^" + Regex.Escape(g).Replace("\\*", ".*", StringComparison.Ordinal) + "$"));

        private static string[] SplitCommand(string command)
        {
            var words = new List<string>();
            var current = new System.Text.StringBuilder();
            var quoted = false;
            foreach (var c in command)
            {
                if (c == '"')
                {
                    quoted = !quoted;
                }
                else if (c == ' ' && !quoted)
                {
                    if (current.Length > 0)
                    {
                        words.Add(current.ToString());
                        current.Clear();
                    }
                }
                else
                {
                    current.Append(c);
                }
            }

            if (current.Length > 0)
            {
                words.Add(current.ToString());
            }

            return [.. words];
        }

        private static int Fail(string message)
        {
            Console.Error.WriteLine($"sinew-conformance: {message}");
            return 2;
        }
    }
}
