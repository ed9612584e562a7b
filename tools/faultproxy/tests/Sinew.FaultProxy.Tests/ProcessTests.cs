// The proxy as a process: its ready line, its refusals, and its exits on SIGTERM and on the end of its input.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Sinew.Testing;

namespace Sinew.FaultProxy.Tests;

public class ProcessTests
{
    [Fact(Timeout = 60_000)]
    public async Task A_target_that_is_not_loopback_is_refused_with_exit_code_2()
    {
        using var process = Start("--target", "192.0.2.1:4222");
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("loopback", await process.StandardError.ReadToEndAsync(), StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task It_exits_when_its_standard_input_ends()
    {
        using var process = Start("--target", "127.0.0.1:9");
        await ReadyAsync(process);
        process.StandardInput.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, process.ExitCode);
    }

    [Fact(Timeout = 60_000)]
    public async Task It_exits_cleanly_on_sigterm()
    {
        using var process = Start("--target", "127.0.0.1:9");
        await ReadyAsync(process);
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, process.ExitCode);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_malformed_command_is_answered_with_400_and_the_reason()
    {
        using var process = Start("--target", "127.0.0.1:9");
        var ready = await ReadyAsync(process);
        using var http = new HttpClient { BaseAddress = new Uri($"http://{ready.GetProperty("control").GetString()}") };
        using var response = await http.PostAsync("/stall", new StringContent("""{"direction":"sideways"}"""));
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains("direction must be up, down or both", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        process.StandardInput.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static Process Start(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            ArgumentList = { Sinew.Testing.FaultProxy.Locate() },
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }

    private static async Task<JsonElement> ReadyAsync(Process process)
    {
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(line);
        using var ready = JsonDocument.Parse(line);
        Assert.Equal("ready", ready.RootElement.GetProperty("event").GetString());
        Assert.StartsWith("127.0.0.1:", ready.RootElement.GetProperty("listen").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("127.0.0.1:", ready.RootElement.GetProperty("control").GetString(), StringComparison.Ordinal);
        return ready.RootElement.Clone();
    }
}
