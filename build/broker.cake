// Starting a broker from the build: the main job's broker, and the brokers the install test runs the
// installed clients against. The broker prints one JSON line on stdout when it is ready; everything else
// it writes goes to stderr, which is passed through so a failure is visible in the build log.

using System.Diagnostics;

/// <summary>A broker child process, started and stopped by the build.</summary>
public sealed class BrokerProcess : IDisposable
{
    private readonly Process _process;

    private BrokerProcess(Process process, string protocol, string http)
    {
        _process = process;
        Protocol = protocol;
        Http = http;
    }

    /// <summary>The protocol endpoint it reported, host:port.</summary>
    public string Protocol { get; }

    /// <summary>The HTTP endpoint it reported, host:port.</summary>
    public string Http { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="arguments"/> and waits (at most
    /// <paramref name="timeout"/>) for the ready line.</summary>
    public static BrokerProcess Start(string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        var readLine = process.StandardOutput.ReadLineAsync();
        var exited = process.WaitForExitAsync();
        // Whichever comes first: the ready line, the broker exiting (a busy port, a bad setting), or the timeout.
        System.Threading.Tasks.Task.WaitAny(new System.Threading.Tasks.Task[] { readLine, exited }, timeout);
        if (!readLine.IsCompleted || readLine.Result is null)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the broker exited with code {process.ExitCode} before it was ready; its own message is above");
            }

            StopProcess(process);
            throw new InvalidOperationException($"the broker did not report ready within {timeout.TotalSeconds:0} s");
        }

        using var ready = System.Text.Json.JsonDocument.Parse(readLine.Result);
        var root = ready.RootElement;
        if (!root.TryGetProperty("event", out var kind) || kind.GetString() != "ready")
        {
            StopProcess(process);
            throw new InvalidOperationException($"the broker's first line was not its ready line: {readLine.Result}");
        }

        // Keep draining stdout so the broker never blocks on a full pipe.
        _ = process.StandardOutput.ReadToEndAsync();
        return new BrokerProcess(process, root.GetProperty("protocol").GetString(), root.GetProperty("http").GetString());
    }

    /// <summary>Blocks until the broker exits by itself (Ctrl-C reaches it with the rest of the terminal's
    /// process group) and returns its exit code.</summary>
    public int WaitForExit()
    {
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Asks the broker to shut down gracefully (SIGTERM), waiting up to 30 s before killing it.</summary>
    public int Stop() => StopProcess(_process);

    private static int StopProcess(Process process)
    {
        if (!process.HasExited)
        {
            using (var term = Process.Start(new ProcessStartInfo("kill", $"-TERM {process.Id}") { UseShellExecute = false }))
            {
                term?.WaitForExit();
            }

            if (!process.WaitForExit(30_000))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
        }

        return process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Stop();
        }

        _process.Dispose();
    }
}
