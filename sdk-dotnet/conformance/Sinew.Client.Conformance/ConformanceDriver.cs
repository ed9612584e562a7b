// The C# conformance driver: reads one step per line as JSON from the runner, executes it with the public API
// of Sinew.Client, and answers each with one JSON line. The protocol and the steps are described in
// conformance/DRIVERS.md of the repository.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sinew.Client.Conformance;

/// <summary>Runs the Sinew conformance driver protocol: JSON lines in, JSON lines out, one step at a time.</summary>
/// <remarks>
/// <para>Each input line is a request <c>{"id": …, "step": "…", …arguments…}</c>; each is answered with exactly one
/// line, <c>{"id", "ok": true, "result"}</c>, <c>{"id", "ok": false, "error"}</c> or <c>{"id", "unsupported"}</c>.
/// Nothing else is written to the output, so it can be a process's standard output; diagnostics go to the log
/// writer (standard error by default).</para>
/// <para>The broker used when a <c>connect</c> step names no endpoint is the environment variable
/// <c>SINEW_BROKER</c>. When the input ends, every client the steps opened is closed and the method returns 0.</para>
/// </remarks>
public static class ConformanceDriver
{
    /// <summary>Runs the driver until <paramref name="input"/> ends, logging to standard error.</summary>
    /// <param name="input">Requests, one JSON object per line.</param>
    /// <param name="output">Responses, one JSON object per line, flushed after each.</param>
    /// <param name="cancellationToken">Stops reading requests; the step under way is not interrupted.</param>
    /// <returns>The process exit code: 0.</returns>
    public static Task<int> RunAsync(TextReader input, TextWriter output, CancellationToken cancellationToken = default) =>
        RunAsync(input, output, Console.Error, cancellationToken);

    /// <summary>Runs the driver until <paramref name="input"/> ends.</summary>
    /// <param name="input">Requests, one JSON object per line.</param>
    /// <param name="output">Responses, one JSON object per line, flushed after each.</param>
    /// <param name="log">Where diagnostics go: failures that are not Sinew errors, and errors the clients report
    /// asynchronously (for example of unconfirmed publishes).</param>
    /// <param name="cancellationToken">Stops reading requests; the step under way is not interrupted.</param>
    /// <returns>The process exit code: 0.</returns>
    public static async Task<int> RunAsync(TextReader input, TextWriter output, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(log);
        var steps = new DriverSteps(TextWriter.Synchronized(log));
        try
        {
            while (await input.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                var response = await HandleAsync(steps, line).ConfigureAwait(false);
                await output.WriteLineAsync(response.ToJsonString(DriverJson.Options)).ConfigureAwait(false);
                await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Asked to stop: close what the steps opened, as at the end of the input.
        }
        finally
        {
            await steps.CloseEverythingAsync().ConfigureAwait(false);
        }

        return 0;
    }

    private static async Task<JsonObject> HandleAsync(DriverSteps steps, string line)
    {
        JsonObject request;
        try
        {
            request = JsonNode.Parse(line) as JsonObject ?? throw new DriverException("a request must be a JSON object");
        }
        catch (Exception e) when (e is JsonException or DriverException)
        {
            steps.Log($"not a request: {line}");
            return new JsonObject { ["id"] = null, ["ok"] = false, ["error"] = ErrorResults.From(e) };
        }

        var id = request["id"]?.DeepClone();
        var name = request["step"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
        if (name is null || !steps.TryGet(name, out var step))
        {
            return new JsonObject { ["id"] = id, ["unsupported"] = $"the C# driver has no step {(name is null ? "(none given)" : $"\"{name}\"")}" };
        }

        try
        {
            var result = await step(request).ConfigureAwait(false);
            return new JsonObject { ["id"] = id, ["ok"] = true, ["result"] = result };
        }
        catch (Exception e)
        {
            if (e is not SinewException)
            {
                steps.Log($"step {name} (id {id?.ToJsonString() ?? "null"}) failed: {e}");
            }

            return new JsonObject { ["id"] = id, ["ok"] = false, ["error"] = ErrorResults.From(e) };
        }
    }
}
