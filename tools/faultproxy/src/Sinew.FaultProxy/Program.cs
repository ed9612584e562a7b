// sinew-fault-proxy: a TCP proxy for tests that stands between a client and a real broker and misbehaves on
// command. It prints one JSON ready line, takes commands on its HTTP control endpoint, and exits on SIGTERM,
// SIGINT or the end of its standard input (so it dies with the test process that started it).
using System.Runtime.InteropServices;
using System.Text.Json;
using Sinew.FaultProxy;

ProxyArguments arguments;
try
{
    arguments = ProxyArguments.Parse(args);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync($"sinew-fault-proxy: {e.Message}\n{ProxyArguments.Usage}");
    return 2;
}

using var stop = new CancellationTokenSource();
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

await using var server = ProxyServer.Start(arguments.Listen, arguments.Target);
var control = await ControlEndpoint.StartAsync(arguments.Control, server);
await using (control)
{
    var ready = JsonSerializer.Serialize(new
    {
        @event = "ready",
        listen = server.ListenEndPoint.ToString(),
        control = ControlEndpoint.BoundEndPoint(control).ToString(),
        target = arguments.Target.ToString(),
        pid = Environment.ProcessId,
    });
    await Console.Out.WriteLineAsync(ready);
    await Console.Out.FlushAsync();

    var stdinClosed = Task.Run(WaitForEndOfInputAsync);
    await Task.WhenAny(stdinClosed, Task.Delay(Timeout.Infinite, stop.Token)).ConfigureAwait(false);
    await control.StopAsync(CancellationToken.None);
}

return 0;

void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

// Reads standard input to its end; what is read is ignored. A parent that dies closes the pipe.
async Task WaitForEndOfInputAsync()
{
    using var input = Console.OpenStandardInput();
    var buffer = new byte[256];
    while (!stop.IsCancellationRequested && await input.ReadAsync(buffer, stop.Token) > 0)
    {
    }
}
