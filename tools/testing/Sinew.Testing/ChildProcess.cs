// A child process started by a test that announces itself with one JSON line on standard output (the broker's
// and the fault proxy's ready lines): started, waited for, its output kept, stopped with SIGTERM or killed.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sinew.Testing;

internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _errors = new();
    private readonly TaskCompletionSource<JsonElement> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything it wrote, both streams, in arrival order.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>What it wrote to standard error.</summary>
    public string StandardError
    {
        get
        {
            lock (_output)
            {
                return _errors.ToString();
            }
        }
    }

    /// <summary>Runs <c>dotnet <paramref name="dll"/> <paramref name="arguments"/></c> and waits for the first
    /// stdout line that is a JSON object with <c>"event":"ready"</c>.</summary>
    /// <param name="keepStandardInput">Keep a pipe to its standard input open (the fault proxy exits when it
    /// closes); otherwise it gets none.</param>
    /// <exception cref="InvalidOperationException">It exited first; the message holds what it wrote.</exception>
    /// <exception cref="TimeoutException">No ready line came within <paramref name="startupTimeout"/>.</exception>
    public static async Task<(ChildProcess Process, JsonElement Ready)> StartAsync(
        string what, string dll, IEnumerable<string> arguments, TimeSpan startupTimeout, bool keepStandardInput = false)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = keepStandardInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data, isError: false);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data, isError: true);
        process.Exited += (_, _) => child._ready.TrySetException(
            new InvalidOperationException($"{what} exited with code {SafeExitCode(process)} before it was ready:\n{child.Output}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var ready = await child._ready.Task.WaitAsync(startupTimeout).ConfigureAwait(false);
            return (child, ready);
        }
        catch (TimeoutException)
        {
            child.Dispose();
            throw new TimeoutException($"{what} did not print its ready line within {startupTimeout.TotalSeconds} s:\n{child.Output}");
        }
        catch (InvalidOperationException e)
        {
            // The Exited event can come before the last lines of output were read: wait for them (the wait ends
            // once both streams are drained) so the message says why it exited.
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            var failure = new InvalidOperationException($"{what} exited with code {SafeExitCode(process)} before it was ready:\n{child.Output}", e);
            child.Dispose();
            throw failure;
        }
    }

    /// <summary>Asks it to stop (SIGTERM) and waits at most <paramref name="grace"/>; then kills it. Returns the
    /// exit code, or null when it had to be killed.</summary>
    public async Task<int?> StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return _process.ExitCode;
        }

        Signal("TERM");
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            await KillAsync().ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>SIGKILL, and waits for the exit.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
    }

    /// <summary>Closes its standard input (when it was kept open) and waits at most <paramref name="grace"/>
    /// for it to exit; then kills it.</summary>
    public async Task CloseInputAsync(TimeSpan grace)
    {
        if (_process.StartInfo.RedirectStandardInput && !_process.HasExited)
        {
            try
            {
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
                // It is exiting already.
            }
        }

        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await KillAsync().ConfigureAwait(false);
        }
    }

    public void Signal(string name)
    {
        if (OperatingSystem.IsWindows())
        {
            _process.Kill(entireProcessTree: true);
            return;
        }

        using var kill = Process.Start(new ProcessStartInfo("kill")
        {
            ArgumentList = { $"-{name}", _process.Id.ToString(CultureInfo.InvariantCulture) },
            UseShellExecute = false,
        });
        kill?.WaitForExit();
    }

    /// <summary>Never leaves the process behind.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It was never started or has gone.
        }

        _process.Dispose();
    }

    private static string SafeExitCode(Process process)
    {
        try
        {
            return process.ExitCode.ToString(CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }

    private void OnLine(string? line, bool isError)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
            if (isError)
            {
                _errors.AppendLine(line);
            }
        }

        if (isError || !line.StartsWith('{'))
        {
            return;
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.TryGetProperty("event", out var name) && name.GetString() == "ready")
            {
                _ready.TrySetResult(document.RootElement.Clone());
            }
        }
        catch (JsonException)
        {
            // Not the ready line.
        }
    }
}
