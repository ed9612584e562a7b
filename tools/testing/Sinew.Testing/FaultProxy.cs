// Starts sinew-fault-proxy (tools/faultproxy) in front of a broker and drives it over its HTTP control endpoint:
// cut, half-close, stall, resume, delay, close after N bytes, blackhole, and the list of its connections.
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Sinew.Testing;

/// <summary>A running fault proxy. Clients connect to <see cref="Endpoint"/> instead of the broker. The proxy exits
/// when it is disposed, and also when this process dies (it watches its standard input).</summary>
public sealed class FaultProxy : IAsyncDisposable, IDisposable
{
    /// <summary>The environment variable that names the proxy's entry assembly instead of the build.</summary>
    public const string ProxyDllVariable = "SINEW_FAULT_PROXY_DLL";

    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private readonly ChildProcess _process;
    private readonly HttpClient _control;

    private FaultProxy(ChildProcess process, JsonElement ready)
    {
        _process = process;
        Endpoint = ready.GetProperty("listen").GetString()!;
        ControlEndpoint = ready.GetProperty("control").GetString()!;
        _control = new HttpClient { BaseAddress = new Uri($"http://{ControlEndpoint}"), Timeout = CommandTimeout + TimeSpan.FromMinutes(2) };
    }

    /// <summary>Where clients connect, <c>127.0.0.1:PORT</c>.</summary>
    public string Endpoint { get; }

    /// <summary>The control endpoint, <c>127.0.0.1:PORT</c>.</summary>
    public string ControlEndpoint { get; }

    /// <summary>What the proxy wrote, for failure messages.</summary>
    public string Output => _process.Output;

    public static string Locate() => BuiltTool.Locate(Path.Combine("tools", "faultproxy", "src", "Sinew.FaultProxy"), "sinew-fault-proxy.dll", ProxyDllVariable);

    /// <summary>Starts a proxy forwarding to <paramref name="target"/> (<c>127.0.0.1:PORT</c>) from a free port.</summary>
    public static async Task<FaultProxy> StartAsync(string target)
    {
        var (process, ready) = await ChildProcess.StartAsync("the fault proxy", Locate(), ["--target", target], StartupTimeout, keepStandardInput: true)
            .ConfigureAwait(false);
        return new FaultProxy(process, ready);
    }

    /// <summary>Ends connections towards both peers, with a reset (the default) or an orderly close.</summary>
    public Task<IReadOnlyList<long>> CutAsync(ProxyClose how = ProxyClose.Reset, ProxyScope scope = ProxyScope.Current) =>
        CommandAsync("cut", new { how = Name(how), scope = Name(scope) });

    /// <summary>Sends an end of stream in one direction (<see cref="ProxyDirection.Down"/>: the client reads end of
    /// stream); the other direction keeps flowing.</summary>
    public Task<IReadOnlyList<long>> HalfCloseAsync(ProxyDirection direction, ProxyScope scope = ProxyScope.Current) =>
        CommandAsync("half-close", new { direction = Name(direction), scope = Name(scope) });

    /// <summary>Stops forwarding in <paramref name="direction"/>; bytes back up in TCP until <see cref="ResumeAsync"/>.</summary>
    public Task<IReadOnlyList<long>> StallAsync(ProxyDirection direction = ProxyDirection.Both, ProxyScope scope = ProxyScope.Current) =>
        CommandAsync("stall", new { direction = Name(direction), scope = Name(scope) });

    /// <summary>Forwards again what was stalled, on open connections and for new ones.</summary>
    public Task<IReadOnlyList<long>> ResumeAsync(ProxyDirection direction = ProxyDirection.Both) =>
        CommandAsync("resume", new { direction = Name(direction) });

    /// <summary>Holds each chunk for <paramref name="delay"/> before forwarding it.</summary>
    public Task<IReadOnlyList<long>> DelayAsync(TimeSpan delay, ProxyDirection direction = ProxyDirection.Both, ProxyScope scope = ProxyScope.Current) =>
        CommandAsync("delay", new { direction = Name(direction), scope = Name(scope), ms = (int)delay.TotalMilliseconds });

    /// <summary>Forwards <paramref name="bytes"/> more bytes in <paramref name="direction"/>, then closes as <paramref name="how"/> says.</summary>
    public Task<IReadOnlyList<long>> CloseAfterAsync(long bytes, ProxyDirection direction, ProxyClose how = ProxyClose.Reset, ProxyScope scope = ProxyScope.Current) =>
        CommandAsync("close-after", new { direction = Name(direction), scope = Name(scope), bytes, how = Name(how) });

    /// <summary>Forwards nothing: open connections discard what they read; new ones are accepted with no broker behind.</summary>
    public Task<IReadOnlyList<long>> BlackholeAsync(ProxyScope scope = ProxyScope.Current) =>
        CommandAsync("blackhole", new { scope = Name(scope) });

    /// <summary>Clears the faults waiting for new connections, and lifts stalls and delays.</summary>
    public Task<IReadOnlyList<long>> ResetAsync() => CommandAsync("reset", new { });

    /// <summary>The connections open now and how many were accepted in all.</summary>
    public Task<ProxyConnections> ConnectionsAsync() => ListAsync(0, 0, TimeSpan.Zero);

    /// <summary>Waits until at least <paramref name="accepted"/> connections were accepted in all and
    /// <paramref name="open"/> are open (a reconnect shows as one more accepted).</summary>
    /// <exception cref="TimeoutException">That did not happen within <paramref name="timeout"/> (default 20 s).</exception>
    public async Task<ProxyConnections> WaitForConnectionsAsync(long accepted = 0, int open = 1, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(20);
        var state = await ListAsync(accepted, open, limit).ConfigureAwait(false);
        return state.Accepted >= accepted && state.Open.Count >= open
            ? state
            : throw new TimeoutException($"the proxy did not see {accepted} connections accepted and {open} open within {limit.TotalSeconds} s " +
                                        $"(accepted {state.Accepted}, open {state.Open.Count})");
    }

    public async ValueTask DisposeAsync()
    {
        await _process.CloseInputAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        _control.Dispose();
        _process.Dispose();
    }

    public void Dispose()
    {
        _control.Dispose();
        _process.Dispose();
    }

    private async Task<ProxyConnections> ListAsync(long accepted, int open, TimeSpan wait)
    {
        var query = string.Create(CultureInfo.InvariantCulture, $"/connections?accepted={accepted}&open={open}&timeout_ms={(long)wait.TotalMilliseconds}");
        using var response = await _control.GetAsync(query).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<ProxyConnections>().ConfigureAwait(false)
               ?? throw new InvalidOperationException("the proxy answered /connections with nothing");
    }

    private async Task<IReadOnlyList<long>> CommandAsync(string command, object body)
    {
        using var timeout = new CancellationTokenSource(CommandTimeout);
        using var response = await _control.PostAsJsonAsync($"/{command}", body, timeout.Token).ConfigureAwait(false);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false));
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"the proxy refused {command}: {answer.RootElement.GetProperty("error").GetString()}");
        }

        return [.. answer.RootElement.GetProperty("connections").EnumerateArray().Select(id => id.GetInt64())];
    }

    private static string Name(ProxyDirection direction) => direction switch
    {
        ProxyDirection.Up => "up",
        ProxyDirection.Down => "down",
        _ => "both",
    };

    private static string Name(ProxyScope scope) => scope switch
    {
        ProxyScope.New => "new",
        ProxyScope.All => "all",
        _ => "current",
    };

    private static string Name(ProxyClose how) => how switch
    {
        ProxyClose.Fin => "fin",
        ProxyClose.Drop => "drop",
        _ => "rst",
    };
}
