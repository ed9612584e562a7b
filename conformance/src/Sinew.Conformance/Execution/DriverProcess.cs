// A client's conformance driver, run as a child process and spoken to in JSON lines over stdin/stdout.
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sinew.Conformance.Execution;

/// <summary>How to start a driver.</summary>
internal sealed record DriverCommand(string FileName, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string>? Environment = null)
{
    public override string ToString() => string.Join(' ', Arguments.Prepend(FileName));
}

/// <summary>A driver's answer to one request.</summary>
internal sealed record DriverResponse(bool Ok, JsonNode? Result, JsonObject? Error, string? Unsupported);

internal sealed class DriverProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _stderr = new();
    private long _nextId;

    private DriverProcess(Process process)
    {
        _process = process;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (_stderr)
            {
                _stderr.Enqueue(e.Data);
                while (_stderr.Count > 40)
                {
                    _stderr.Dequeue();
                }
            }
        };
        process.BeginErrorReadLine();
    }

    public string Client { get; private init; } = "";

    public string Version { get; private set; } = "";

    public IReadOnlySet<string> Steps { get; private set; } = new HashSet<string>();

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the driver wrote to standard error, for failure reports.</summary>
    public string RecentStandardError
    {
        get
        {
            lock (_stderr)
            {
                return string.Join('\n', _stderr);
            }
        }
    }

    public static async Task<DriverProcess> StartAsync(string client, DriverCommand command, string brokerEndpoint)
    {
        var start = new ProcessStartInfo(command.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = new System.Text.UTF8Encoding(false),
            StandardInputEncoding = new System.Text.UTF8Encoding(false),
        };
        foreach (var argument in command.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["SINEW_BROKER"] = brokerEndpoint;
        foreach (var (key, value) in command.Environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {command}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"could not start the {client} driver `{command}`: {e.Message}", e);
        }

        var driver = new DriverProcess(process) { Client = client };
        var description = await driver.SendAsync("describe", [], TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        if (!description.Ok || description.Result is not JsonObject result)
        {
            await driver.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"the {client} driver did not describe itself: {description.Error?.ToJsonString() ?? description.Unsupported}\n{driver.RecentStandardError}");
        }

        driver.Version = (string?)result["version"] ?? "?";
        driver.Steps = result["steps"] is JsonArray steps ? steps.Select(s => (string)s!).ToHashSet(StringComparer.Ordinal) : [];
        return driver;
    }

    /// <summary>Sends one step and waits for its answer.</summary>
    /// <exception cref="TimeoutException">The driver did not answer in time.</exception>
    /// <exception cref="IOException">The driver exited or wrote something that is not a response.</exception>
    public async Task<DriverResponse> SendAsync(string step, JsonObject arguments, TimeSpan timeout)
    {
        var id = Interlocked.Increment(ref _nextId);
        var request = new JsonObject { ["id"] = id, ["step"] = step };
        foreach (var (key, value) in arguments)
        {
            request[key] = value?.DeepClone();
        }

        await _process.StandardInput.WriteLineAsync(request.ToJsonString()).ConfigureAwait(false);
        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            string? line;
            try
            {
                line = await _process.StandardOutput.ReadLineAsync(cancel.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"the {Client} driver did not answer '{step}' within {timeout.TotalSeconds:F0} s");
            }

            if (line is null)
            {
                throw new IOException($"the {Client} driver exited while handling '{step}'\n{RecentStandardError}");
            }

            if (line.Length == 0)
            {
                continue;
            }

            JsonObject response;
            try
            {
                response = JsonNode.Parse(line)?.AsObject() ?? throw new JsonException("null");
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                throw new IOException($"the {Client} driver wrote a line that is not a JSON object: {Truncate(line)}", e);
            }

            if ((long?)response["id"] != id)
            {
                throw new IOException($"the {Client} driver answered id {response["id"]?.ToJsonString()} while '{step}' (id {id}) was pending");
            }

            if ((string?)response["unsupported"] is { } why)
            {
                return new DriverResponse(false, null, null, why);
            }

            return (bool?)response["ok"] == true
                ? new DriverResponse(true, response["result"]?.DeepClone() ?? new JsonObject(), null, null)
                : new DriverResponse(false, null, response["error"]?.AsObject().DeepClone().AsObject() ?? new JsonObject { ["type"] = "Unexpected" }, null);
        }
    }

    private static string Truncate(string text) => text.Length > 200 ? text[..200] + "…" : text;

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or IOException or InvalidOperationException)
        {
        }

        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
