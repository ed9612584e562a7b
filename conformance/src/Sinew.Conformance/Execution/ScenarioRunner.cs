// Runs scenarios through one client's driver: substitutes variables, performs runner steps itself,
// sends the rest to the driver, and checks every result against the scenario's expectations.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Sinew.Conformance.Reporting;
using Sinew.Conformance.Scenarios;

namespace Sinew.Conformance.Execution;

internal sealed class ScenarioRunner(BrokerEnvironment environment, string runId)
{
    // Keys the runner consumes; the driver never sees them.
    private static readonly HashSet<string> RunnerKeys =
        ["step", "expect", "expect_error", "save", "collect", "max_duration_ms", "count", "message_template", "skip_until"];

    private static readonly HashSet<string> RunnerSteps = ["sleep", "mark", "check", "restart_broker", "set_global_dead_letter", "cut_connection"];

    // A receive with skip_until acks and passes over at most this many deliveries that do not match.
    private const int MaxSkipped = 1000;

    private int _queueCounter;

    public async Task<ScenarioResult> RunAsync(Scenario scenario, string client, Func<Task<DriverProcess>> driverFactory, DriverProcess driver)
    {
        var started = Stopwatch.StartNew();
        var missing = scenario.Requires.Where(r => !environment.Capabilities.Contains(r)).ToList();
        if (missing.Count > 0)
        {
            return Result(scenario, client, Outcome.NotApplicable, $"needs {string.Join(", ", missing)}, which this run does not provide", started);
        }

        var unsupported = scenario.Steps.Select(s => (string)s["step"]!)
            .Where(s => !RunnerSteps.Contains(s) && !driver.Steps.Contains(s)).Distinct().ToList();
        if (unsupported.Count > 0)
        {
            return Result(scenario, client, Outcome.Missing, $"the {client} driver does not implement {string.Join(", ", unsupported)}", started);
        }

        var variables = new Variables();
        foreach (var (name, value) in environment.Builtins)
        {
            variables.Set(name, JsonValue.Create(value));
        }

        foreach (var queue in scenario.Queues)
        {
            variables.Set(queue, JsonValue.Create($"cf-{runId}-{Abbreviation(client)}-{Interlocked.Increment(ref _queueCounter)}-{queue}"));
        }

        try
        {
            await driver.SendAsync("reset", [], TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            for (var index = 0; index < scenario.Steps.Count; index++)
            {
                var failure = await RunStepAsync(scenario.Steps[index], variables, driver).ConfigureAwait(false);
                if (failure is not null)
                {
                    var name = (string)scenario.Steps[index]["step"]!;
                    return failure.StartsWith(UnsupportedPrefix, StringComparison.Ordinal)
                        ? Result(scenario, client, Outcome.Missing, $"step {index + 1} ({name}): {failure[UnsupportedPrefix.Length..]}", started)
                        : Result(scenario, client, Outcome.Failed, $"step {index + 1} ({name}): {failure}", started);
                }
            }

            return Result(scenario, client, Outcome.Passed, null, started);
        }
        catch (Exception e) when (e is TimeoutException or IOException or KeyNotFoundException or FormatException or InvalidOperationException
                                       or HttpRequestException)
        {
            return Result(scenario, client, Outcome.Failed, $"{e.Message}{(driver.HasExited ? "\n" + driver.RecentStandardError : "")}", started);
        }
        finally
        {
            // The global target is broker-wide: the next scenario starts without it, whatever this one did.
            if (scenario.Steps.Any(s => (string?)s["step"] == "set_global_dead_letter"))
            {
                await environment.SetGlobalDeadLetterTargetAsync(null, null).ConfigureAwait(false);
            }
        }
    }

    private const string UnsupportedPrefix = "unsupported: ";

    /// <returns>Null when the step met its expectations, otherwise why not.</returns>
    private async Task<string?> RunStepAsync(JsonObject template, Variables variables, DriverProcess driver)
    {
        var step = (JsonObject)variables.Substitute(template)!;
        var name = (string)step["step"]!;
        switch (name)
        {
            case "sleep":
                await Task.Delay((int)step["ms"]!).ConfigureAwait(false);
                return null;
            case "mark":
                variables.Set((string)step["as"]!, JsonValue.Create(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
                return null;
            case "check":
                variables.TryGet((string)step["value"]!, out var value);
                var checks = step["expect"]!.AsObject();
                return checks.Select(c => Expectations.CheckValue((string)step["value"]!, value, new JsonObject { [c.Key] = c.Value?.DeepClone() }))
                    .FirstOrDefault(f => f is not null);
            case "restart_broker":
                await environment.RestartAsync().ConfigureAwait(false);
                return null;
            case "set_global_dead_letter":
                await environment.SetGlobalDeadLetterTargetAsync((string?)step["topic"], (string?)step["group"]).ConfigureAwait(false);
                return null;
            case "cut_connection":
                var clientName = (string)step["client_name"]!;
                return environment.CutConnections(clientName) > 0 ? null : $"no open connection of a client named {clientName} to cut";
        }

        var arguments = new JsonObject();
        foreach (var (key, node) in step)
        {
            if (!RunnerKeys.Contains(key))
            {
                arguments[key] = node?.DeepClone();
            }
        }

        // "count" with one "message" stands for that many copies of the message.
        if (step["count"] is JsonValue count && arguments["message"] is JsonObject message)
        {
            arguments.Remove("message");
            arguments["messages"] = new JsonArray(Enumerable.Range(0, (int)count).Select(_ => (JsonNode)message.DeepClone()).ToArray());
        }

        if (name == "connect" && environment.Credentials is { } credentials && arguments["endpoint"] is null)
        {
            arguments["username"] = credentials.Identity;
            arguments["password"] = credentials.Secret;
        }

        var wait = Math.Max(ToInt(step["timeout_ms"]) ?? 5000, ToInt(step["within_ms"]) ?? 0);
        var stopwatch = Stopwatch.StartNew();
        var response = await driver.SendAsync(name, arguments, TimeSpan.FromMilliseconds(wait + 20_000)).ConfigureAwait(false);
        if (step["skip_until"] is JsonObject wanted)
        {
            // A shared queue (the broker's $dead-letters) may hold other messages first: ack and pass over them.
            for (var skipped = 0; response.Ok && Expectations.Check(response.Result, wanted).Count > 0; skipped++)
            {
                if (skipped == MaxSkipped)
                {
                    return $"no delivery matched {wanted.ToJsonString()} within {MaxSkipped} deliveries";
                }

                var ack = await driver.SendAsync("ack", new JsonObject { ["delivery"] = arguments["delivery"]?.DeepClone() },
                    TimeSpan.FromSeconds(20)).ConfigureAwait(false);
                if (!ack.Ok)
                {
                    return $"acking a passed-over delivery failed with {ack.Error?.ToJsonString()}";
                }

                response = await driver.SendAsync(name, arguments, TimeSpan.FromMilliseconds(wait + 20_000)).ConfigureAwait(false);
            }
        }

        var elapsed = stopwatch.ElapsedMilliseconds;
        if (response.Unsupported is { } why)
        {
            return UnsupportedPrefix + why;
        }

        if (ToInt(step["max_duration_ms"]) is { } limit && elapsed > limit)
        {
            return $"took {elapsed} ms; it must take at most {limit} ms";
        }

        if (step["expect_error"] is JsonObject expectedError)
        {
            if (response.Ok)
            {
                return $"expected an error {expectedError.ToJsonString()}, but it succeeded with {response.Result?.ToJsonString()}";
            }

            var failures = Expectations.Check(response.Error, expectedError);
            return failures.Count == 0 ? null : $"{string.Join("; ", failures)} (error: {response.Error?.ToJsonString()})";
        }

        if (!response.Ok)
        {
            return $"failed with {response.Error?.ToJsonString()}";
        }

        if (step["expect"] is JsonObject expected)
        {
            var failures = Expectations.Check(response.Result, expected);
            if (failures.Count > 0)
            {
                return $"{string.Join("; ", failures)} (result: {Truncate(response.Result?.ToJsonString())})";
            }
        }

        if (step["save"] is JsonObject save)
        {
            foreach (var (variable, path) in save)
            {
                if (!Expectations.Resolve(response.Result, (string)path!, out var saved))
                {
                    return $"cannot save {variable}: the result has no {path}";
                }

                variables.Set(variable, saved);
            }
        }

        if (step["collect"] is JsonObject collect)
        {
            foreach (var (variable, path) in collect)
            {
                Expectations.Resolve(response.Result, (string)path!, out var collected);
                variables.Append(variable, collected);
            }
        }

        return null;
    }

    private static int? ToInt(JsonNode? node) => node is null ? null : int.Parse(node.ToString(), CultureInfo.InvariantCulture);

    private static string Abbreviation(string client) => client switch
    {
        "csharp" => "cs",
        "typescript" => "ts",
        "python" => "py",
        _ => client.Length > 4 ? client[..4] : client,
    };

    private static string? Truncate(string? text) => text is { Length: > 600 } ? text[..600] + "…" : text;

    private static ScenarioResult Result(Scenario scenario, string client, Outcome outcome, string? message, Stopwatch started) =>
        new(scenario.Id, scenario.Title, scenario.Area, scenario.Spec, client, outcome, message, started.ElapsedMilliseconds);
}
