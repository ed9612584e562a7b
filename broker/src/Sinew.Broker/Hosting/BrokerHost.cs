// Composes and runs a broker: Kestrel with the protocol listener and the HTTP endpoints, the queue
// engine, and the start-up (index, verification, readiness) and shutdown sequences.
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using Sinew.Broker.Configuration;
using Sinew.Broker.Diagnostics;
using Sinew.Broker.Engine;
using Sinew.Broker.Http;
using Sinew.Broker.Network;
using Sinew.Broker.Queues;
using Sinew.Broker.Storage;

namespace Sinew.Broker.Hosting;

/// <summary>A running broker.</summary>
public sealed class BrokerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly BrokerContext _context;
    private readonly DataDirectoryLock _lock;

    private BrokerHost(WebApplication app, BrokerContext context, IPEndPoint protocol, IPEndPoint http, string dataDirectory,
        DataDirectoryLock directoryLock)
    {
        _app = app;
        _lock = directoryLock;
        _context = context;
        ProtocolEndPoint = protocol;
        HttpEndPoint = http;
        DataDirectory = dataDirectory;
    }

    /// <summary>Where the protocol listener is bound (the real port when 0 was asked for).</summary>
    public IPEndPoint ProtocolEndPoint { get; }

    /// <summary>Where the HTTP endpoints are bound.</summary>
    public IPEndPoint HttpEndPoint { get; }

    /// <summary>The absolute data directory.</summary>
    public string DataDirectory { get; }

    /// <summary>The broker's state, for tests that reach below the protocol.</summary>
    internal BrokerContext Context => _context;

    /// <summary>Completes when the broker has shut down (after <see cref="StopAsync"/> or a signal).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Builds and starts a broker with <paramref name="options"/>.</summary>
    /// <param name="options">Effective configuration.</param>
    /// <param name="configureLogging">Adjusts logging; by default logs go to standard error.</param>
    public static Task<BrokerHost> StartAsync(BrokerOptions options, Action<ILoggingBuilder>? configureLogging = null,
        CancellationToken cancellationToken = default) =>
        StartAsync(options, configureLogging, verificationGate: null, cancellationToken);

    /// <summary>Builds and starts a broker whose verification at start waits for
    /// <paramref name="verificationGate"/>, so tests can see the broker before its queues are verified.</summary>
    internal static async Task<BrokerHost> StartAsync(BrokerOptions options, Action<ILoggingBuilder>? configureLogging,
        Task? verificationGate, CancellationToken cancellationToken = default)
    {
        var dataDirectory = Path.GetFullPath(options.Storage.DataDir);
        Directory.CreateDirectory(dataDirectory);
        var directoryLock = DataDirectoryLock.Acquire(dataDirectory);
        try
        {
            return await StartLockedAsync(options, dataDirectory, directoryLock, configureLogging, verificationGate ?? Task.CompletedTask,
                cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            directoryLock.Dispose();
            throw;
        }
    }

    private static async Task<BrokerHost> StartLockedAsync(BrokerOptions options, string dataDirectory, DataDirectoryLock directoryLock,
        Action<ILoggingBuilder>? configureLogging, Task verificationGate, CancellationToken cancellationToken)
    {
        // The content root must not be the data directory: the host watches its content root for
        // configuration changes, and every segment write would wake that watcher. Sinew reads no
        // ASP.NET configuration files, so the configuration sources are cleared too.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        // A failed start is reported once, by whoever called StartAsync, not also as the host's logged stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        configureLogging?.Invoke(builder.Logging);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(options.Shutdown.TimeoutMs + 5_000));

        var protocolEndpoint = ConfigSchema.ParseEndpoint(options.Listener.Protocol);
        var httpEndpoint = ConfigSchema.ParseEndpoint(options.Listener.Http);
        ListenOptions? protocolListen = null;
        ListenOptions? httpListen = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(protocolEndpoint, listen =>
            {
                protocolListen = listen;
                listen.UseConnectionHandler<SinewConnectionHandler>();
            });
            kestrel.Listen(httpEndpoint, listen =>
            {
                httpListen = listen;
                listen.Protocols = HttpProtocols.Http1;
            });
        });

        var registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(registry);
        var metrics = new BrokerMetrics(registry);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(metrics);
        builder.Services.AddSingleton(sp =>
        {
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Sinew.Broker");
            var services = new BrokerServices(options, TimeProvider.System, metrics, logger);
            var runtime = RuntimeState.Load(dataDirectory);
            var queues = new QueueRegistry(dataDirectory, services, runtime);
            var protocol = new SessionContext(options, services, queues, new SessionRegistry(options.Connection.ReconnectGraceMs, options.Limits.MaxConnections, () => services.NowMs, services.Logger), BrokerIdentity(dataDirectory));
            return new BrokerContext(options, services, queues, runtime, protocol, new StartupVerification(queues, services, verificationGate));
        });
        builder.Services.AddSingleton(sp => sp.GetRequiredService<BrokerContext>().Protocol);
        builder.Services.AddHostedService<BrokerLifecycle>();

        var app = builder.Build();
        var context = app.Services.GetRequiredService<BrokerContext>();
        try
        {
            await IndexAsync(context, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            context.Verification.Dispose();
            context.Services.Dispose();
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        HttpEndpoints.Map(app, context.Services, context.Registry, context.Runtime, context.Protocol.Sessions, () => context.Protocol.Sessions.Started);

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            context.Verification.Dispose();
            context.Services.Dispose();
            await app.DisposeAsync().ConfigureAwait(false);
            throw new IOException(AddressInUse(e.Message, options), e);
        }

        var protocol = protocolListen!.IPEndPoint!;
        context.Protocol.ProtocolEndpoint = protocol.ToString();
        return new BrokerHost(app, context, protocol, httpListen!.IPEndPoint!, dataDirectory, directoryLock);
    }

    // Kestrel names the address with an http:// scheme whichever listener it is; say which one it was.
    private static string AddressInUse(string kestrelMessage, BrokerOptions options)
    {
        var which = kestrelMessage.Contains(options.Listener.Protocol, StringComparison.Ordinal)
            ? ("protocol", options.Listener.Protocol, "--listen or listener.protocol")
            : ("HTTP", options.Listener.Http, "--http or listener.http");
        return $"the {which.Item1} port {which.Item2} is already in use (another broker, or another program, listens there); " +
               $"stop it or choose another address with {which.Item3}";
    }

    // Runs before anything listens, so no request reaches a queue before the index, and a refusal comes
    // before serving; outside the host's own start, so a refusal is one clear error, not a logged stack trace.
    private static async Task IndexAsync(BrokerContext context, CancellationToken cancellationToken)
    {
        var count = context.Registry.Index();
        context.Services.Logger.QueuesIndexed(count, Path.GetFullPath(context.Options.Storage.DataDir));
        if (context.Options.Recovery.OnCorruption == "refuse")
        {
            // Refusing must happen before serving, so every queue is verified now rather than in the background.
            await context.Verification.VerifyBeforeServingAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Shuts down gracefully: refuses new connections, ends subscriptions, returns unsettled
    /// deliveries, flushes and snapshots every partition.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _lock.Dispose();
    }

    // A stable identity per data directory, so a restarted broker is recognisably the same one.
    private static string BrokerIdentity(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, "broker-id");
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }

        var id = "broker-" + Guid.NewGuid().ToString("N")[..12];
        AtomicFile.Write(path, id);
        return id;
    }

}
